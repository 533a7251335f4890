import { describe, expect, it } from 'vitest';
import type { StoreLifecycle } from '../../../src/app/ports/index.js';
import type { RollupStore } from '../../../src/app/ports/rollups.js';
import { HOUR_MS, dayOf } from '../../../src/domain/calendar.js';
import { addRun, bucketsAt, classify, EMPTY_COUNTS, type RollupBucket } from '../../../src/domain/rollup.js';
import { T0, opened, run, type RoleFactory } from './fixtures.js';

export type RollupStoreFactory = RoleFactory<RollupStore>;

const DAY_MS = 24 * HOUR_MS;

/** The hourly and daily partial buckets of one run, as the recorder makes them (UTC days). */
export function deltas(job: string, at: number, options: { location?: string; status?: 'up' | 'degraded' | 'down' | 'error'; maintenance?: boolean; totalMs?: number } = {}): RollupBucket[] {
  const r = run(job, at, {
    status: options.status ?? 'up',
    location: options.location ?? 'test',
    ...(options.maintenance ? { maintenance: true } : {}),
    timings: { dns: 0, connect: 0, tls: 0, firstByte: 1, total: options.totalMs ?? 50 },
  });
  const counts = addRun(EMPTY_COUNTS, r, classify(r) ?? 'up');
  return bucketsAt(job, r.location, at, dayOf(at, 'UTC')).map((b) => ({ ...b, ...counts }));
}

const hours = (store: RollupStore, job: string, from = T0 - 10 * DAY_MS, to = T0 + 10 * DAY_MS) => store.listRollups({ job, span: 'hour', from, to });
const days = (store: RollupStore, job: string, from = T0 - 10 * DAY_MS, to = T0 + 10 * DAY_MS) => store.listRollups({ job, span: 'day', from, to });
const counts = (b: RollupBucket | undefined) => b && { up: b.up, degraded: b.degraded, down: b.down, maintenance: b.maintenance, latency: b.latency.count, durationMs: b.durationMs };
const total = (buckets: readonly RollupBucket[]) => buckets.reduce((sum, b) => sum + b.up + b.degraded + b.down + b.maintenance, 0);

/**
 * The rollup store's contract (`app/ports/rollups.ts`, issue 16): partial buckets added, merged on
 * read, listed by window; compaction keeps every count and deletes old buckets; with `reopen`, several
 * instances adding and compacting at once lose and double nothing. A factory whose store writes
 * behind is flushed (`flush`) before reads.
 */
export function describeRollupStore(name: string, factory: RollupStoreFactory): void {
  describe(`RollupStore contract: ${name}`, () => {
    const { create, track } = opened(factory);

    it('merges the partial buckets of a job, location, span and start into one, counts and response times added', async () => {
      const store = await create();
      await store.addRollups(deltas('shop', T0 + 60_000, { status: 'up', totalMs: 10 }));
      await store.addRollups(deltas('shop', T0 + 120_000, { status: 'degraded', totalMs: 20 }));
      await store.flush();
      await store.addRollups([...deltas('shop', T0 + 180_000, { status: 'error', totalMs: 4_000 }), ...deltas('shop', T0 + 240_000, { maintenance: true })]);
      await store.flush();
      const [hour] = await hours(store, 'shop');
      expect(await hours(store, 'shop')).toHaveLength(1);
      expect(hour).toMatchObject({ job: 'shop', location: 'test', span: 'hour', start: new Date(T0).toISOString(), end: new Date(T0 + HOUR_MS).toISOString() });
      expect(counts(hour)).toEqual({ up: 1, degraded: 1, down: 1, maintenance: 1, latency: 3, durationMs: 36 });
      expect(hour?.latency.sumMs).toBe(4_030);
      const [day] = await days(store, 'shop');
      expect(day).toMatchObject({ span: 'day', start: '2026-11-23T00:00:00.000Z', end: '2026-11-24T00:00:00.000Z' });
      expect(counts(day)).toEqual(counts(hour));
    });

    it('lists one job, one span and the buckets starting in [from, to), by location then start', async () => {
      const store = await create();
      for (const at of [T0 - HOUR_MS, T0, T0 + HOUR_MS, T0 + 2 * HOUR_MS]) await store.addRollups(deltas('api', at + 1));
      await store.addRollups(deltas('api', T0 + 5, { location: 'westeurope' }));
      // Names that share a prefix, or sort around it, stay apart.
      for (const other of ['ap', 'api-2', 'apiX', 'Api']) await store.addRollups(deltas(other, T0 + 1));
      await store.flush();
      const listed = await hours(store, 'api', T0, T0 + 2 * HOUR_MS);
      expect(listed.map((b) => [b.location, b.start])).toEqual([
        ['test', new Date(T0).toISOString()],
        ['test', new Date(T0 + HOUR_MS).toISOString()],
        ['westeurope', new Date(T0).toISOString()],
      ]);
      expect(listed.every((b) => b.job === 'api' && b.span === 'hour')).toBe(true);
      expect(total(await hours(store, 'api'))).toBe(5);
      expect(total(await days(store, 'api'))).toBe(5);
      expect(await hours(store, 'nobody')).toEqual([]);
      expect(await hours(store, 'api', T0 + 3 * HOUR_MS, T0 + 4 * HOUR_MS)).toEqual([]);
    });

    it('a location with any characters is kept as it is', async () => {
      const store = await create();
      await store.addRollups(deltas('loc', T0, { location: 'West Europe/2 | ü#?' }));
      await store.flush();
      expect((await hours(store, 'loc')).map((b) => b.location)).toEqual(['West Europe/2 | ü#?']);
    });

    it('compaction keeps every count, deletes buckets that ended before the cutoff, and the next adds still add up', async () => {
      const store = await create();
      for (let i = 0; i < 5; i++) {
        await store.addRollups(deltas('kept', T0 + i * 60_000, { status: i === 2 ? 'down' : 'up', totalMs: 10 * (i + 1) }));
        await store.addRollups(deltas('old', T0 - 5 * DAY_MS + i * 60_000));
        await store.flush(); // one partial row per flush, where partials are stored
      }
      const before = { hours: await hours(store, 'kept'), days: await days(store, 'kept') };
      const report = await store.compactRollups(T0 + 30 * DAY_MS, T0 - 2 * DAY_MS, 1_000);
      // The old job's hour and day.
      expect(report.deleted).toBe(2);
      expect(await hours(store, 'old')).toEqual([]);
      expect(await days(store, 'old')).toEqual([]);
      expect(await hours(store, 'kept')).toEqual(before.hours);
      expect(await days(store, 'kept')).toEqual(before.days);
      // Compacted once: nothing left to merge.
      expect(await store.compactRollups(T0 + 30 * DAY_MS, T0 - 2 * DAY_MS, 1_000)).toEqual({ compacted: 0, deleted: 0 });
      await store.addRollups(deltas('kept', T0 + 10 * 60_000, { status: 'degraded' }));
      await store.flush();
      expect(counts((await hours(store, 'kept'))[0])).toEqual({ up: 4, degraded: 1, down: 1, maintenance: 0, latency: 6, durationMs: 72 });
      await store.compactRollups(T0 + 30 * DAY_MS, T0 - 2 * DAY_MS, 1_000);
      expect(counts((await days(store, 'kept'))[0])).toEqual({ up: 4, degraded: 1, down: 1, maintenance: 0, latency: 6, durationMs: 72 });
    }, 60_000);

    it('compaction does bounded work per call and reports it, so the caller can go on', async () => {
      const store = await create();
      for (let j = 0; j < 6; j++) await store.addRollups(deltas(`gone${j}`, T0 - 9 * DAY_MS));
      await store.flush();
      let deleted = 0;
      for (let call = 0; call < 20; call++) {
        const report = await store.compactRollups(T0, T0, 4);
        deleted += report.deleted;
        if (report.compacted + report.deleted < 4) break;
      }
      expect(deleted).toBe(12);
      for (let j = 0; j < 6; j++) expect(await days(store, `gone${j}`)).toEqual([]);
    }, 60_000);

    if (factory.reopen) {
      const reopen = factory.reopen;
      it('two instances adding to the same buckets at once lose and double no count, compacting meanwhile', async () => {
        const a = await create();
        const b = await reopen(a);
        track(b);
        const PER_INSTANCE = 24;
        const feed = async (store: RollupStore & StoreLifecycle, location: string) => {
          for (let i = 0; i < PER_INSTANCE; i++) {
            await store.addRollups(deltas('busy', T0 + i * 1_000, { status: i % 4 === 0 ? 'down' : 'up' }));
            await store.addRollups(deltas('busy', T0 + i * 1_000, { location }));
            if (i % 8 === 7) await store.flush();
          }
          await store.flush();
        };
        const compact = async (store: RollupStore) => {
          for (let i = 0; i < 2; i++) await store.compactRollups(T0 + 30 * DAY_MS, T0 - 30 * DAY_MS, 1_000);
        };
        await Promise.all([feed(a, 'a'), feed(b, 'b'), compact(a), compact(b)]);
        // Both compacting the same buckets at once: one wins each bucket, the other leaves it alone.
        await Promise.all([compact(a), compact(b)]);
        const reader = await reopen(a);
        track(reader);
        const listed = await hours(reader, 'busy');
        const at = (location: string) => listed.find((x) => x.location === location);
        expect(counts(at('test'))).toEqual({ up: 36, degraded: 0, down: 12, maintenance: 0, latency: 48, durationMs: 576 });
        expect(at('a')?.up).toBe(PER_INSTANCE);
        expect(at('b')?.up).toBe(PER_INSTANCE);
        expect(total(await days(reader, 'busy'))).toBe(4 * PER_INSTANCE);
      }, 120_000);
    }
  });
}
