import { describe, expect, it } from 'vitest';
import type { Lease, Renewal } from '../../../src/app/ports/index.js';
import { SingletonTimer } from '../../../src/hosts/local/singletonTimer.js';
import type { TimerRunner } from '../../../src/hosts/local/timerRunner.js';
import { eventually } from '../../support/eventually.js';
import { MemoryLogger } from '../../support/fakes.js';

/** A lease whose renewals answer what the test says, counting them. */
class ScriptedLease implements Lease {
  readonly name = 'azure-webjobs-hosts/locks/test/Host.Functions.dispatcher.Listener';
  renewals = 0;
  /** What the next acquisitions answer. */
  free = true;
  constructor(public answer: Renewal) {}
  acquire = (): Promise<boolean> => Promise.resolve(this.free);
  renew = (): Promise<Renewal> => (this.renewals++, Promise.resolve(this.answer));
  release = (): Promise<void> => Promise.resolve();
}

/** A timer runner that only says whether it runs. */
const runner = () => {
  const state = { running: false, starts: 0 };
  const make = (): TimerRunner =>
    ({
      start: () => void ((state.running = true), state.starts++),
      stop: () => ((state.running = false), Promise.resolve()),
    }) as unknown as TimerRunner;
  return { state, make };
};

const eventOf = (record: { fields: object }): unknown => (record.fields as { event?: string }).event;

const options = { lockPeriodMs: 30, recoveryPollingMs: 10 };

describe('SingletonTimer and its lock', () => {
  it('keeps running the timer while storage cannot confirm the lock, and says so once', async () => {
    const lease = new ScriptedLease('unreachable');
    const { state, make } = runner();
    const logger = new MemoryLogger();
    const timer = new SingletonTimer('dispatcher', '* * * * * *', lease, make, logger, options);
    timer.start();
    await eventually(() => expect(lease.renewals).toBeGreaterThanOrEqual(5));
    expect(state).toEqual({ running: true, starts: 1 });
    expect(logger.records.filter((r) => eventOf(r) === 'singleton-unconfirmed')).toHaveLength(1);
    lease.answer = 'renewed';
    await eventually(() => expect(lease.renewals).toBeGreaterThanOrEqual(8));
    expect(state.running).toBe(true);
    await timer.stop();
    expect(state.running).toBe(false);
  });

  it('stops the timer when another instance holds the lock, and takes it back when it can', async () => {
    const lease = new ScriptedLease('renewed');
    const { state, make } = runner();
    const logger = new MemoryLogger();
    const timer = new SingletonTimer('dispatcher', '* * * * * *', lease, make, logger, options);
    timer.start();
    await eventually(() => expect(lease.renewals).toBeGreaterThanOrEqual(2));
    expect(state).toEqual({ running: true, starts: 1 });
    lease.answer = 'lost';
    lease.free = false;
    await eventually(() => expect(logger.records.some((r) => eventOf(r) === 'singleton-lost')).toBe(true));
    expect(state.running).toBe(false);
    lease.answer = 'renewed';
    lease.free = true;
    await eventually(() => expect(state).toEqual({ running: true, starts: 2 }));
    await timer.stop();
  });
});
