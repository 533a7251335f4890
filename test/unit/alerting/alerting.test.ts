import { describe, expect, it } from 'vitest';
import { MemoryStore } from '../../../src/adapters/memory-store/memoryStore.js';
import { Alerting } from '../../../src/app/alerting.js';
import type { AlertRule } from '../../../src/domain/alerting/rule.js';
import type { Run } from '../../../src/domain/run.js';
import { FakeClock, MemoryLogger } from '../../support/fakes.js';
import { job } from '../../support/jobs.js';
import { run } from '../../support/storeContracts/fixtures.js';

const T0 = Date.parse('2026-11-23T12:00:00.000Z');
const rule = (extra: Partial<AlertRule> = {}): AlertRule => ({
  index: 0,
  channels: ['hooks'],
  failureThreshold: 2,
  successThreshold: 1,
  sendOnResolved: true,
  remindEveryMs: null,
  on: ['down'],
  minLocations: 1,
  ...extra,
});

function world(r: AlertRule) {
  const store = new MemoryStore();
  const clock = new FakeClock(T0);
  const kicks = { count: 0 };
  const alerting = new Alerting({ store, clock, logger: new MemoryLogger(), telemetry: {}, outbox: { kick: () => kicks.count++ } });
  const target = { ...job({ name: 'billing', url: 'https://billing.example.com/health', every: '1m' }), alerts: [r] };
  /** Folds runs in, one per minute; returns the types of the events queued so far. */
  const feed = async (...runs: Array<[location: string, status: Run['status'], runId?: string]>) => {
    for (const [location, status, runId] of runs) {
      await clock.advance(60_000);
      const at = clock.now();
      alerting.after(target, run('billing', at, { location, status, ...(runId ? { runId } : {}) }));
      await alerting.settled();
    }
    return (await store.dueDeliveries(clock.now() + 1, 100)).map((d) => d.event.type);
  };
  return { store, feed, kicks, alerting, clock, target };
}

describe('Alerting (decisions after recorded runs)', () => {
  it.each([
    ['one location failing is not enough with minLocations 2', 2, [['eu', 'down'], ['us', 'up'], ['eu', 'down'], ['us', 'up']], []],
    ['two locations failing at once trigger it', 2, [['eu', 'down'], ['us', 'down'], ['eu', 'down']], ['alert.triggered']],
    ['with minLocations 1 each location counts', 1, [['eu', 'down'], ['us', 'down']], ['alert.triggered']],
  ] as const)('%s', async (_name, minLocations, runs, expected) => {
    const { feed } = world(rule({ minLocations }));
    expect(await feed(...(runs as unknown as Array<[string, Run['status']]>))).toEqual(expected);
  });

  it('folds a run in once: the same run again (redelivered, or recorded by another instance) changes nothing', async () => {
    const { feed, store, kicks } = world(rule());
    await feed(['eu', 'down', 'billing@1']);
    await feed(['eu', 'down', 'billing@1']);
    expect((await store.loadAlert('billing', 0))?.state).toMatchObject({ failures: 1, triggered: false });
    expect(await feed(['eu', 'down', 'billing@2'])).toEqual(['alert.triggered']);
    expect(kicks.count).toBe(1);
  });

  it('writes nothing for a healthy job', async () => {
    const { feed, store } = world(rule());
    await feed(['eu', 'up'], ['eu', 'up']);
    expect(await store.listAlerts()).toEqual([]);
  });

  it.each([
    ['in a maintenance window', { maintenance: true }],
    ['paused by a maintenance window', { status: 'skipped', error: { kind: 'maintenance', message: 'paused' } }],
    ['made while an upstream job was down', { suppressed: { reason: 'upstream-down', upstream: ['db'] } }],
  ] as const)('leaves the alerts as they are for a failed run %s', async (_name, extra) => {
    const { feed, store, alerting, clock, target } = world(rule({ failureThreshold: 1 }));
    await clock.advance(60_000);
    alerting.after(target, run('billing', clock.now(), { status: 'down', success: false, ...extra } as Partial<Run>));
    await alerting.settled();
    expect(await store.listAlerts()).toEqual([]);
    expect(await feed(['eu', 'down'])).toEqual(['alert.triggered']);
  });
});

describe('Alerting leaves the state as it is for runs that must not alert', () => {
  it.each([
    ['a run in a maintenance window', { maintenance: true }],
    ['an occurrence paused by maintenance', { status: 'skipped', error: { kind: 'maintenance', message: 'paused' } }],
    ['an occurrence skipped for a down upstream job', { status: 'skipped', error: { kind: 'upstream-down', message: 'db is down' } }],
    ['a run made silently while an upstream job is down', { suppressed: { reason: 'upstream-down', upstream: ['db'] } }],
  ] as const)('%s', async (_name, extra) => {
    const store = new MemoryStore();
    const clock = new FakeClock(T0);
    const alerting = new Alerting({ store, clock, logger: new MemoryLogger(), telemetry: {}, outbox: { kick: () => undefined } });
    const target = { ...job({ name: 'billing', url: 'https://billing.example.com/health', every: '1m' }), alerts: [rule({ failureThreshold: 1 })] };
    alerting.after(target, run('billing', T0, { status: 'down', ...extra } as Partial<Run>));
    await alerting.settled();
    expect(await store.listAlerts()).toEqual([]);
  });
});
