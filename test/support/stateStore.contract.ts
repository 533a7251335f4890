import { afterEach, describe, expect, it } from 'vitest';
import type { StateStore, StoredJob } from '../../src/app/ports/index.js';
import type { AuditEntry } from '../../src/domain/audit.js';
import { auditKey } from '../../src/domain/audit.js';
import { runKey } from '../../src/domain/history.js';
import type { Run } from '../../src/domain/run.js';
import type { JobState } from '../../src/domain/state.js';

export interface StoreFactory {
  /** A new, empty store. */
  create(): Promise<StateStore>;
  /** A second store over the same data as `store` (another instance, or the app after a restart); absent for stores that keep nothing. */
  reopen?(store: StateStore): Promise<StateStore>;
}

const T0 = Date.parse('2026-11-23T12:00:00.000Z');

export const run = (job: string, at: number, extra: Partial<Run> = {}): Run => ({
  runId: `${job}@${new Date(at).toISOString()}`,
  job,
  trigger: 'schedule',
  scheduledAt: new Date(at).toISOString(),
  startedAt: new Date(at + 2).toISOString(),
  durationMs: 12,
  attempts: 1,
  status: 'up',
  success: true,
  httpStatus: 200,
  conditions: [{ condition: '[STATUS] == 200', success: true, actual: '200' }],
  timings: { dns: 0, connect: 0.4, tls: 0, firstByte: 1.9, total: 3.2 },
  location: 'test',
  ...extra,
});

const state = (health: JobState['health'], failures = 0): JobState => ({
  health,
  since: new Date(T0).toISOString(),
  consecutiveFailures: failures,
  consecutiveSuccesses: health === 'UP' ? 1 : 0,
  lastRun: null,
});

const storedJob = (name: string, etag = 'r1', url = 'https://example.test/health'): StoredJob => ({
  name,
  definition: { name, url, every: '1m', headers: { authorization: '${secret:token}' } },
  etag,
  createdAt: new Date(T0).toISOString(),
  updatedAt: new Date(T0).toISOString(),
});

export const audit = (i: number): AuditEntry => ({
  id: `a${i}`,
  at: new Date(T0 + i * 1_000).toISOString(),
  actor: { name: 'alice@example.test', via: 'app-service-auth' },
  action: 'job.update',
  job: 'billing',
  before: { name: 'billing', url: 'https://a.test' },
  after: { name: 'billing', url: 'https://b.test' },
});

/** Pages through `list` with keys `keyOf`, `limit` at a time; returns every item in order. */
async function pageAll<T>(list: (after: string | undefined) => Promise<T[]>, limit: number, keyOf: (t: T) => string): Promise<T[][]> {
  const pages: T[][] = [];
  let after: string | undefined;
  for (;;) {
    const page = await list(after);
    expect(page.length).toBeLessThanOrEqual(limit);
    if (page.length === 0) return pages;
    pages.push(page);
    after = keyOf(page[page.length - 1] as T);
  }
}

/** ONE contract for every StateStore: the memory fake and Table Storage on Azurite both pass it. */
export function describeStateStore(name: string, factory: StoreFactory): void {
  describe(`StateStore contract: ${name}`, () => {
    const open: StateStore[] = [];
    const create = async () => {
      const store = await factory.create();
      open.push(store);
      return store;
    };
    afterEach(async () => {
      await Promise.all(open.splice(0).map((s) => s.close()));
    });

    it('keeps circuit state per job as opaque text', async () => {
      const store = await create();
      expect(await store.loadCircuit('a')).toBeUndefined();
      await store.saveCircuit('a', '{"state":{"open":1}}');
      await store.saveCircuit('b', '{"state":0}');
      expect(await store.loadCircuit('a')).toBe('{"state":{"open":1}}');
      expect(await store.loadCircuit('b')).toBe('{"state":0}');
    });

    it('keeps job state, lists every state at once, and forgets a job', async () => {
      const store = await create();
      expect(await store.loadState('a')).toBeUndefined();
      await store.saveState('a', state('UP'));
      await store.saveState('b', state('DOWN', 3));
      await store.saveState('a', state('DOWN', 1));
      await store.saveCircuit('b', 'circuit-b');
      expect(await store.loadState('a')).toEqual(state('DOWN', 1));
      expect(Object.fromEntries(await store.loadStates())).toEqual({ a: state('DOWN', 1), b: state('DOWN', 3) });
      await store.forgetJob('b');
      expect(await store.loadState('b')).toBeUndefined();
      expect(await store.loadCircuit('b')).toBeUndefined();
      expect([...(await store.loadStates()).keys()]).toEqual(['a']);
    });

    it('keeps the dispatcher cursors and last tick, even with thousands of jobs', async () => {
      const store = await create();
      expect(await store.loadCursors()).toEqual({});
      expect(await store.loadLastTick()).toBeUndefined();
      const cursors = Object.fromEntries(Array.from({ length: 3_000 }, (_, i) => [`job-number-${i}`, T0 + i]));
      await store.saveCursors(cursors);
      await store.saveLastTick(T0 + 5);
      expect(await store.loadCursors()).toEqual(cursors);
      expect(await store.loadLastTick()).toBe(T0 + 5);
    });

    it('lists runs newest first, per job, and records a redelivered run once', async () => {
      const store = await create();
      const runs = [run('a', T0 + 2_000), run('a', T0), run('a', T0 + 1_000, { status: 'down', success: false, httpStatus: 503 }), run('b', T0 + 500)];
      for (const r of runs) await store.recordRun(r);
      await store.recordRun(run('a', T0 + 2_000, { durationMs: 999 }));
      expect(await store.listRuns('a', { limit: 10 })).toEqual([runs[0], runs[2], runs[1]]);
      expect(await store.listRuns('b', { limit: 10 })).toEqual([runs[3]]);
      expect(await store.listRuns('nobody', { limit: 10 })).toEqual([]);
    });

    it('pages runs with a key: every run exactly once, in order, including runs in the same millisecond', async () => {
      const store = await create();
      const all: Run[] = [];
      for (let i = 0; i < 23; i++) all.push(run('p', T0 + Math.floor(i / 2) * 1_000, { runId: `p@${i}~manual` }));
      for (const r of all) await store.recordRun(r);
      const pages = await pageAll((after) => store.listRuns('p', { limit: 5, ...(after ? { after } : {}) }), 5, runKey);
      expect(pages.map((p) => p.length)).toEqual([5, 5, 5, 5, 3]);
      const listed = pages.flat();
      expect(listed.map(runKey)).toEqual([...all.map(runKey)].sort());
      expect(new Set(listed.map((r) => r.runId)).size).toBe(23);
    });

    it('pages runs across minutes written in several batches, out of order', async () => {
      const store = await create();
      const all = Array.from({ length: 30 }, (_, i) => run('series', T0 + i * 20_000));
      const order = [...all.keys()].sort((a, b) => ((a * 7) % 30) - ((b * 7) % 30));
      for (const [n, i] of order.entries()) {
        await store.recordRun(all[i] as Run);
        if (n % 2 === 1) await store.flush();
      }
      const pages = await pageAll((after) => store.listRuns('series', { limit: 4, ...(after ? { after } : {}) }), 4, runKey);
      expect(pages.flat().map((r) => r.scheduledAt)).toEqual([...all].reverse().map((r) => r.scheduledAt));
    });

    it('deletes old runs in bounded batches and keeps the recent ones (cutoff on a minute)', async () => {
      const store = await create();
      for (let i = 0; i < 30; i++) await store.recordRun(run(`job${i % 3}`, T0 + i * 60_000));
      await store.flush();
      const cutoff = T0 + 20 * 60_000;
      expect(await store.deleteRunsBefore(cutoff, 8)).toBe(8);
      expect(await store.deleteRunsBefore(cutoff, 8)).toBe(8);
      expect(await store.deleteRunsBefore(cutoff, 8)).toBe(4);
      expect(await store.deleteRunsBefore(cutoff, 8)).toBe(0);
      const left = (await Promise.all(['job0', 'job1', 'job2'].map((j) => store.listRuns(j, { limit: 100 })))).flat();
      expect(left).toHaveLength(10);
      for (const r of left) expect(Date.parse(r.scheduledAt)).toBeGreaterThanOrEqual(cutoff);
    });

    it('keeps the audit log newest first and pages it, whatever order the entries came in', async () => {
      const store = await create();
      for (const i of [3, 0, 6, 1, 5, 2, 4]) await store.recordAudit(audit(i));
      const pages = await pageAll((after) => store.listAudit({ limit: 3, ...(after ? { after } : {}) }), 3, auditKey);
      expect(pages.flat().map((e) => e.id)).toEqual(['a6', 'a5', 'a4', 'a3', 'a2', 'a1', 'a0']);
      expect(pages.flat()[0]).toEqual(audit(6));
    });

    it('creates API jobs with unique names ignoring case, and finds them ignoring case', async () => {
      const store = await create();
      await store.createJob(storedJob('Billing'));
      await expect(store.createJob(storedJob('billing', 'r2'))).rejects.toMatchObject({ code: 'conflict' });
      expect(await store.getJob('BILLING')).toEqual(storedJob('Billing'));
      expect(await store.getJob('nope')).toBeUndefined();
      await store.createJob(storedJob('search'));
      expect((await store.listJobs()).map((j) => j.name).sort()).toEqual(['Billing', 'search']);
    });

    it('replaces and deletes a job only at the revision the caller read', async () => {
      const store = await create();
      await store.createJob(storedJob('billing', 'r1'));
      const changed = storedJob('billing', 'r2', 'https://example.test/v2');
      await expect(store.replaceJob(changed, 'stale')).rejects.toMatchObject({ code: 'precondition_failed' });
      expect(await store.replaceJob(changed, 'r1')).toEqual(changed);
      expect(await store.getJob('billing')).toEqual(changed);
      expect((await store.listJobs()).map((j) => j.etag)).toEqual(['r2']);
      await expect(store.deleteJob('billing', 'r1')).rejects.toMatchObject({ code: 'precondition_failed' });
      await store.deleteJob('billing', 'r2');
      expect(await store.getJob('billing')).toBeUndefined();
      await expect(store.deleteJob('billing', 'r2')).rejects.toMatchObject({ code: 'not_found' });
      await expect(store.replaceJob(changed, 'r2')).rejects.toMatchObject({ code: 'not_found' });
    });

    it('lets exactly one of two concurrent writers with the same revision win', async () => {
      const store = await create();
      await store.createJob(storedJob('race', 'r1'));
      const results = await Promise.allSettled([
        store.replaceJob(storedJob('race', 'left', 'https://left.test'), 'r1'),
        store.replaceJob(storedJob('race', 'right', 'https://right.test'), 'r1'),
      ]);
      const won = results.filter((r) => r.status === 'fulfilled');
      const lost = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
      expect(won).toHaveLength(1);
      expect(lost).toHaveLength(1);
      expect(lost[0]?.reason).toMatchObject({ code: 'precondition_failed' });
      const winner = (won[0] as PromiseFulfilledResult<StoredJob>).value;
      expect((await store.getJob('race'))?.etag).toBe(winner.etag);
    });

    if (factory.reopen) {
      const reopen = factory.reopen;
      it('keeps everything for the next instance once flushed: jobs, state, circuits, cursors, runs, audit', async () => {
        const store = await create();
        await store.createJob(storedJob('kept'));
        await store.saveState('kept', state('DOWN', 2));
        await store.saveCircuit('kept', 'open-circuit');
        await store.saveCursors({ kept: T0 });
        await store.saveLastTick(T0);
        for (let i = 0; i < 5; i++) await store.recordRun(run('kept', T0 + i * 1_000));
        await store.recordAudit(audit(1));
        await store.flush();
        const next = await reopen(store);
        open.push(next);
        expect(await next.getJob('kept')).toEqual(storedJob('kept'));
        expect(await next.loadState('kept')).toEqual(state('DOWN', 2));
        expect(await next.loadCircuit('kept')).toBe('open-circuit');
        expect(await next.loadCursors()).toEqual({ kept: T0 });
        expect(await next.loadLastTick()).toBe(T0);
        expect((await next.listRuns('kept', { limit: 10 })).map((r) => r.scheduledAt)).toEqual(
          [4, 3, 2, 1, 0].map((i) => new Date(T0 + i * 1_000).toISOString()),
        );
        expect(await next.listAudit({ limit: 10 })).toEqual([audit(1)]);
      });
    }

    it('reports its health', async () => {
      const store = await create();
      expect(await store.health()).toMatchObject({ status: 'ok' });
    });
  });
}
