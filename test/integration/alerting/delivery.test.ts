import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { MemoryStore } from '../../../src/adapters/memory-store/memoryStore.js';
import type { StateStore } from '../../../src/app/ports/index.js';
import type { RunningAzurite } from '../../../src/hosts/local/azurite.js';
import { eventually } from '../../support/eventually.js';
import { acquireAzurite, releaseAzurite, uniquePrefix } from '../../support/azurite.js';
import { instance, startFlappingTarget, verifiedEvents } from '../../support/alertingWorld.js';
import { FakeClock } from '../../support/fakes.js';
import { startReceiver, type Receiver } from '../../support/receivers.js';
import type { TestServer } from '../../support/servers.js';

const T0 = Date.parse('2026-06-01T10:00:00.000Z');
const MINUTE = 60_000;

let azurite: RunningAzurite;
let target: TestServer & { status: number };
let receiver: Receiver;
const open: Array<{ close(): Promise<void> }> = [];

beforeAll(async () => {
  azurite = await acquireAzurite();
  target = await startFlappingTarget();
  receiver = await startReceiver();
});
afterEach(async () => {
  await Promise.all(open.splice(0).map((d) => d.close()));
  receiver.received.length = 0;
  receiver.answer = { status: 200, body: 'ok' };
  target.status = 200;
});
afterAll(async () => {
  await target?.close();
  await receiver?.close();
  await releaseAzurite();
});

const file = (rule: Record<string, unknown> = {}) => ({
  channels: { hooks: { type: 'webhook', url: `${receiver.url}/hook`, secret: 'hook-key' } },
  jobs: [
    {
      name: 'flappy',
      url: `${target.url}/health`,
      schedule: '0 0 0 1 1 *', // never due during a test: runs are started by the test
      retry: { maxAttempts: 1 },
      circuitBreaker: false,
      alerts: [{ channels: ['hooks'], failureThreshold: 3, successThreshold: 2, remindEvery: '5m', ...rule }],
    },
  ],
});

function start(clock: FakeClock, storage?: { connectionString: string; prefix: string }, store?: StateStore) {
  const deps = instance({ clock, file: file(), ...(storage ? { storage } : {}), ...(store ? { store } : {}) });
  open.push(deps);
  const { manualRuns, lifecycle } = deps.useCases;
  /** One run of `flappy` a minute after the last, its alerts decided and the outbox pumped. */
  const runAfter = async (ms = MINUTE) => {
    await clock.advance(ms);
    const run = await manualRuns.runNow('flappy');
    await lifecycle.idle();
    return run;
  };
  return { deps, runAfter };
}

describe('alerts from recorded runs, delivered through the outbox', () => {
  it('a flapping target: trigger after 3 failures in a row, reminders every 5 minutes, resolve after 2 good runs', async () => {
    const clock = new FakeClock(T0);
    const { runAfter, deps } = start(clock);
    // Fails twice, recovers, fails twice: no 3 in a row, nothing sent.
    for (const status of [503, 503, 200, 503, 503]) {
      target.status = status;
      await runAfter();
    }
    expect(receiver.received).toHaveLength(0);
    target.status = 503;
    await runAfter(); // third failure in a row
    expect(verifiedEvents(receiver).map((e) => [e.type, e.data.failures])).toEqual([['alert.triggered', 3]]);
    expect(await deps.useCases.alerts.list()).toEqual([
      expect.objectContaining({ job: 'flappy', rule: 0, failures: 3, location: 'westeurope', channels: ['hooks'], since: new Date(T0 + 4 * MINUTE).toISOString() }),
    ]);
    for (let i = 0; i < 5; i++) await runAfter(); // still failing, one reminder 5 minutes after the trigger
    expect(verifiedEvents(receiver).map((e) => e.type)).toEqual(['alert.triggered', 'alert.reminder']);
    target.status = 200;
    await runAfter(); // one good run: not resolved yet
    expect(receiver.received).toHaveLength(2);
    await runAfter();
    const events = verifiedEvents(receiver);
    expect(events.map((e) => e.type)).toEqual(['alert.triggered', 'alert.reminder', 'alert.resolved']);
    expect(new Set(events.map((e) => e.data.alertId)).size).toBe(1);
    expect(new Set(events.map((e) => e.webhookId)).size).toBe(3);
    expect(events[2]?.data.downForMs).toBe(9 * MINUTE); // from the first failure of the streak (+4m) to the resolving run (+13m)
    expect(await deps.useCases.alerts.list()).toEqual([]);
    // Each event also went to telemetry (here the log sink, behind the fan-out), once.
    const logged = () => deps.logger.records.filter((r) => (r.fields as { event?: string }).event === 'alert').map((r) => (r.fields as { type: string }).type);
    expect(await eventually(() => logged().length === 3 && logged())).toEqual(['alert.triggered', 'alert.reminder', 'alert.resolved']);
  });

  it('a store that does not answer never delays a check; the alerts are decided, in order, once it answers', async () => {
    let release = () => undefined as void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const memory = new MemoryStore();
    const store = new Proxy(memory, {
      get(target, property) {
        if (property === 'loadAlert') return async (job: string, rule: number) => gate.then(() => target.loadAlert(job, rule));
        const value: unknown = Reflect.get(target, property, target);
        return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
      },
    });
    const clock = new FakeClock(T0);
    const { deps } = start(clock, undefined, store);
    target.status = 503;
    for (let i = 0; i < 3; i++) {
      await clock.advance(MINUTE);
      const started = performance.now();
      expect(await deps.useCases.manualRuns.runNow('flappy')).toMatchObject({ status: 'down' });
      expect(performance.now() - started).toBeLessThan(2_000);
    }
    expect(receiver.received).toHaveLength(0);
    release();
    await deps.useCases.lifecycle.idle();
    expect(verifiedEvents(receiver).map((e) => [e.type, e.data.failures])).toEqual([['alert.triggered', 3]]);
  });

  it('a restart between trigger and resolve: no second trigger, and the resolve is sent (Table Storage)', async () => {
    const clock = new FakeClock(T0);
    const storage = { connectionString: azurite.connectionString, prefix: uniquePrefix('alerts') };
    const first = start(clock, storage);
    target.status = 503;
    for (let i = 0; i < 4; i++) await first.runAfter();
    expect(verifiedEvents(receiver).map((e) => e.type)).toEqual(['alert.triggered']);
    open.splice(open.indexOf(first.deps), 1);
    await first.deps.close();
    const second = start(clock, storage);
    await second.runAfter(); // still failing after the restart: not triggered again (no reminder due either)
    expect(receiver.received).toHaveLength(1);
    target.status = 200;
    await second.runAfter();
    await second.runAfter();
    const events = verifiedEvents(receiver);
    expect(events.map((e) => e.type)).toEqual(['alert.triggered', 'alert.resolved']);
    expect(events[1]?.data.alertId).toBe(events[0]?.data.alertId);
  });

  it('two instances over one Azurite recording the same transition: one notification', async () => {
    const clock = new FakeClock(T0);
    const storage = { connectionString: azurite.connectionString, prefix: uniquePrefix('twin') };
    const a = start(clock, storage);
    const b = start(clock, storage);
    target.status = 503;
    // Each instance runs the job in turn, then both at once (the third failure, on both).
    await a.runAfter();
    await b.runAfter();
    await clock.advance(MINUTE);
    await Promise.all([a.deps.useCases.manualRuns.runNow('flappy'), b.deps.useCases.manualRuns.runNow('flappy')]);
    await Promise.all([a.deps.useCases.lifecycle.idle(), b.deps.useCases.lifecycle.idle()]);
    await Promise.all([a.deps.useCases.lifecycle.tick(), b.deps.useCases.lifecycle.tick()]);
    await Promise.all([a.deps.useCases.lifecycle.idle(), b.deps.useCases.lifecycle.idle()]);
    expect(verifiedEvents(receiver).map((e) => e.type)).toEqual(['alert.triggered']);
  });

  it('a channel down, then up: delivered once, later, with the same webhook-id; a check is not delayed', async () => {
    const clock = new FakeClock(T0);
    const { runAfter, deps } = start(clock);
    receiver.answer = { status: 503, body: 'down' };
    target.status = 503;
    for (let i = 0; i < 3; i++) await runAfter();
    expect(receiver.received).toHaveLength(1);
    const health = await deps.useCases.health.report();
    expect(health.checks.alerts).toMatchObject({ status: 'ok', deadLetters: 0 });
    receiver.answer = { status: 200, body: 'ok' };
    // Not before the backoff delay ...
    await deps.useCases.lifecycle.tick();
    await deps.useCases.lifecycle.idle();
    expect(receiver.received).toHaveLength(1);
    // ... then once, at a later tick.
    await clock.advance(15 * MINUTE);
    await deps.useCases.lifecycle.tick();
    await deps.useCases.lifecycle.idle();
    await clock.advance(15 * MINUTE);
    await deps.useCases.lifecycle.tick();
    await deps.useCases.lifecycle.idle();
    expect(receiver.received).toHaveLength(2);
    const [failed, delivered] = receiver.received;
    expect(delivered?.headers['webhook-id']).toBe(failed?.headers['webhook-id']);
    expect(verifiedEvents(receiver).map((e) => e.type)).toEqual(['alert.triggered', 'alert.triggered']);
  });

  it('a receiver that refuses (410) makes a dead letter, shown in /api/health', async () => {
    const clock = new FakeClock(T0);
    const { runAfter, deps } = start(clock);
    receiver.answer = { status: 410, body: 'gone' };
    target.status = 503;
    for (let i = 0; i < 3; i++) await runAfter();
    const health = await deps.useCases.health.report();
    expect(health.checks.alerts).toMatchObject({ status: 'degraded', deadLetters: 1 });
  });
});
