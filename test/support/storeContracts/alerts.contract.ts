import { describe, expect, it } from 'vitest';
import type { AlertRecord, AlertStateStore, NewDelivery, OutboxStore } from '../../../src/app/ports/index.js';
import type { AlertEvent } from '../../../src/domain/alerting/event.js';
import { INITIAL_ALERT_STATE, type AlertState } from '../../../src/domain/alerting/rule.js';
import { T0, opened, type RoleFactory } from './fixtures.js';

const triggered: AlertState = { triggered: true, failures: 3, successes: 0, since: new Date(T0).toISOString(), alertId: '0-abc', notifiedAt: T0 };

const record = (job: string, rule: number, state: AlertState = triggered): Omit<AlertRecord, 'version'> => ({
  job,
  rule,
  state,
  channels: ['hooks', 'mail'],
  location: 'westeurope',
  locations: { westeurope: { runId: `${job}@1`, job, status: 'down', startedAt: new Date(T0).toISOString(), httpStatus: 503, conditions: [], location: 'westeurope' } },
});

const event = (id: string, job = 'billing'): AlertEvent => ({
  id,
  type: 'alert.triggered',
  timestamp: new Date(T0).toISOString(),
  data: { alertId: '0-abc', job, status: 'down', since: new Date(T0).toISOString(), failures: 3, location: 'westeurope', run: { runId: `${job}@1`, status: 'down', startedAt: new Date(T0).toISOString(), httpStatus: 503, reason: '[STATUS] == 200 (actual: 503)' } },
});

const delivery = (eventId: string, channel: string, job = 'billing', dueAt = T0): NewDelivery => ({ id: `${eventId}|${channel}`, job, channel, event: event(eventId, job), dueAt });

/** The contract of AlertStateStore and OutboxStore: conditional writes, the outbox's leases and dead letters. */
export function describeAlertStores(name: string, factory: RoleFactory<AlertStateStore & OutboxStore>): void {
  describe(`AlertStateStore and OutboxStore contract: ${name}`, () => {
    const { create, track } = opened(factory);

    it('stores a record with its deliveries in one write, and gives it back with a version', async () => {
      const store = await create();
      expect(await store.loadAlert('billing', 0)).toBeUndefined();
      expect(await store.commitAlert(record('billing', 0), null, [delivery('e1', 'hooks'), delivery('e1', 'mail')])).toBe(true);
      const loaded = await store.loadAlert('billing', 0);
      expect(loaded).toMatchObject(record('billing', 0));
      expect(loaded?.version).toEqual(expect.any(String));
      const due = await store.dueDeliveries(T0, 10);
      expect(due.map((d) => d.id).sort()).toEqual(['e1|hooks', 'e1|mail']);
      expect(due[0]).toMatchObject({ job: 'billing', attempts: 0, status: 'pending', leaseUntil: 0, event: event('e1') });
    });

    it('lets exactly one of two writers that read the same version win; the loser writes nothing', async () => {
      const store = await create();
      await store.commitAlert(record('billing', 0, INITIAL_ALERT_STATE), null, []);
      const read = (await store.loadAlert('billing', 0)) as AlertRecord;
      expect(await store.commitAlert(record('billing', 0), read.version, [delivery('a', 'hooks')])).toBe(true);
      expect(await store.commitAlert(record('billing', 0), read.version, [delivery('b', 'hooks')])).toBe(false);
      expect(await store.commitAlert(record('billing', 0), null, [delivery('c', 'hooks')])).toBe(false);
      expect((await store.dueDeliveries(T0, 10)).map((d) => d.id)).toEqual(['a|hooks']);
      const latest = (await store.loadAlert('billing', 0)) as AlertRecord;
      expect(latest.version).not.toBe(read.version);
      expect(await store.commitAlert(record('billing', 0, INITIAL_ALERT_STATE), latest.version, [])).toBe(true);
    });

    it('keeps rules and jobs apart, and lists every record', async () => {
      const store = await create();
      await store.commitAlert(record('billing', 0), null, []);
      await store.commitAlert(record('billing', 1, INITIAL_ALERT_STATE), null, []);
      await store.commitAlert(record('a/b #1?', 0), null, [delivery('x', 'hooks', 'a/b #1?')]);
      const all = await store.listAlerts();
      expect(all.map((r) => [r.job, r.rule, r.state.triggered]).sort()).toEqual([
        ['a/b #1?', 0, true],
        ['billing', 0, true],
        ['billing', 1, false],
      ]);
      expect((await store.dueDeliveries(T0, 10)).map((d) => d.job)).toEqual(['a/b #1?']);
    });

    it('serves due rows only: not before dueAt, not while leased; a lease is taken once', async () => {
      const store = await create();
      await store.commitAlert(record('billing', 0), null, [delivery('now', 'hooks'), delivery('later', 'hooks', 'billing', T0 + 60_000)]);
      const [row] = await store.dueDeliveries(T0, 10);
      expect(row?.id).toBe('now|hooks');
      const claimed = await store.claimDelivery(row as NonNullable<typeof row>, T0 + 30_000);
      expect(claimed).toMatchObject({ id: 'now|hooks', leaseUntil: T0 + 30_000 });
      expect(await store.claimDelivery(row as NonNullable<typeof row>, T0 + 30_000)).toBeUndefined();
      expect(await store.dueDeliveries(T0 + 1_000, 10)).toEqual([]);
      // A lease that ran out (its holder died) is served again.
      expect((await store.dueDeliveries(T0 + 60_000, 10)).map((d) => d.id).sort()).toEqual(['later|hooks', 'now|hooks']);
    });

    it('reschedules a failed try, dead-letters the last, and removes a delivered row', async () => {
      const store = await create();
      await store.commitAlert(record('billing', 0), null, [delivery('e', 'hooks'), delivery('e', 'mail')]);
      const [hooks, mail] = (await store.dueDeliveries(T0, 10)).sort((a, b) => a.id.localeCompare(b.id));
      const h = (await store.claimDelivery(hooks as NonNullable<typeof hooks>, T0 + 30_000)) as NonNullable<typeof hooks>;
      await store.failDelivery(h, { attempts: 1, dueAt: T0 + 5_000, lastError: 'HTTP 503', dead: false });
      expect(await store.dueDeliveries(T0 + 4_000, 10)).toHaveLength(1);
      const again = (await store.dueDeliveries(T0 + 5_000, 10)).find((d) => d.id === 'e|hooks');
      expect(again).toMatchObject({ attempts: 1, lastError: 'HTTP 503', leaseUntil: 0 });
      const m = (await store.claimDelivery(mail as NonNullable<typeof mail>, T0 + 30_000)) as NonNullable<typeof mail>;
      await store.failDelivery(m, { attempts: 1, dueAt: T0, lastError: 'HTTP 410', dead: true });
      expect(await store.countDeadDeliveries()).toBe(1);
      const h2 = (await store.claimDelivery(again as NonNullable<typeof again>, T0 + 40_000)) as NonNullable<typeof again>;
      await store.completeDelivery(h2);
      expect(await store.dueDeliveries(T0 + 100_000, 10)).toEqual([]);
      expect(await store.countDeadDeliveries()).toBe(1);
    });

    it('does not let a holder whose lease was taken over overwrite the new holder', async () => {
      const store = await create();
      await store.commitAlert(record('billing', 0), null, [delivery('e', 'hooks')]);
      const [row] = await store.dueDeliveries(T0, 10);
      const first = (await store.claimDelivery(row as NonNullable<typeof row>, T0 + 1_000)) as NonNullable<typeof row>;
      const [expired] = await store.dueDeliveries(T0 + 2_000, 10);
      const second = await store.claimDelivery(expired as NonNullable<typeof expired>, T0 + 60_000);
      expect(second).toBeDefined();
      await store.failDelivery(first, { attempts: 1, dueAt: T0, lastError: 'late', dead: true });
      expect(await store.countDeadDeliveries()).toBe(0);
    });

    if (factory.reopen) {
      const reopen = factory.reopen;
      it('keeps alert state and the outbox for the next instance', async () => {
        const store = await create();
        await store.commitAlert(record('billing', 0), null, [delivery('e', 'hooks')]);
        const next = await reopen(store);
        track(next);
        expect(await next.loadAlert('billing', 0)).toMatchObject(record('billing', 0));
        expect((await next.dueDeliveries(T0, 10)).map((d) => d.id)).toEqual(['e|hooks']);
      });
    }
  });
}
