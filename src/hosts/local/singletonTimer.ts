import { setTimeout as sleep } from 'node:timers/promises';
import type { Lease, Logger } from '../../app/ports/index.js';
import type { TimerRunner } from './timerRunner.js';

/** How the local host holds timer listener locks; the Functions host's `singleton` options of host.json. */
export interface SingletonOptions {
  /** How long a lease lasts unless renewed (`listenerLockPeriod`), in ms; renewed every third of it. */
  readonly lockPeriodMs: number;
  /** How often an instance without the lock tries to take it (`listenerLockRecoveryPollingInterval`), in ms. */
  readonly recoveryPollingMs: number;
}

/**
 * A timer function that runs on one instance at a time, as the Functions host runs it: its schedule
 * starts only once this instance holds the listener lock (a lease renewed every third of its
 * period); an instance without it tries again every `recoveryPollingMs`. A holder that loses the
 * lease (it lapsed and another took it, or the lock is gone) stops the schedule; one that cannot
 * reach storage keeps it, so checks go on through a storage outage, and renews once storage answers.
 * A holder that dies stops renewing, and another instance takes over once the lease lapses.
 */
export class SingletonTimer {
  readonly #abort = new AbortController();
  #runner: TimerRunner | undefined;
  #loop: Promise<void> | undefined;

  constructor(
    readonly name: string,
    readonly schedule: string,
    private readonly lease: Lease,
    private readonly newRunner: () => TimerRunner,
    private readonly logger: Logger,
    private readonly options: SingletonOptions,
  ) {}

  start(): void {
    this.#loop ??= this.#hold();
  }

  /** Stops the schedule (waiting for the invocation in progress) and gives the lease up for the next instance. */
  async stop(): Promise<void> {
    this.#abort.abort();
    await this.#loop;
    const runner = this.#runner;
    this.#runner = undefined;
    if (runner) {
      await runner.stop();
      await this.lease.release();
    }
  }

  async #hold(): Promise<void> {
    const { signal } = this.#abort;
    const { lockPeriodMs, recoveryPollingMs } = this.options;
    let announcedWaiting = false;
    let keptWithoutStorage = false;
    while (!signal.aborted) {
      if (!this.#runner) {
        if (await this.lease.acquire()) {
          if (signal.aborted) {
            await this.lease.release();
            return;
          }
          this.logger.info({ function: this.name, lock: this.lease.name, event: 'singleton-acquired' }, `timer ${this.name}: this instance holds its lock and runs it`);
          this.#runner = this.newRunner();
          this.#runner.start();
          continue;
        }
        if (!announcedWaiting) {
          this.logger.info({ function: this.name, lock: this.lease.name, event: 'singleton-waiting' }, `timer ${this.name}: another instance holds its lock; trying again every ${recoveryPollingMs} ms`);
          announcedWaiting = true;
        }
        if (!(await pause(recoveryPollingMs, signal))) return;
        continue;
      }
      if (!(await pause(lockPeriodMs / 3, signal))) return;
      const renewal = await this.lease.renew();
      if (renewal === 'renewed') {
        keptWithoutStorage = false;
        continue;
      }
      if (renewal === 'unreachable') {
        // Storage is down, for this instance at least: an instance that cannot reach it cannot take the
        // lock either, and checks go on without storage (docs/architecture.md), so keep the timer.
        if (!keptWithoutStorage) this.logger.warn({ function: this.name, lock: this.lease.name, event: 'singleton-unconfirmed' }, `timer ${this.name}: cannot renew its lock while storage is unreachable; keeps running it on this instance`);
        keptWithoutStorage = true;
        continue;
      }
      keptWithoutStorage = false;
      this.logger.warn({ function: this.name, lock: this.lease.name, event: 'singleton-lost' }, `timer ${this.name}: lost its lock; stopping it on this instance`);
      const runner = this.#runner;
      this.#runner = undefined;
      announcedWaiting = false;
      await runner.stop();
    }
  }
}

/** Waits `ms`; `false` when `signal` aborted first. */
async function pause(ms: number, signal: AbortSignal): Promise<boolean> {
  try {
    await sleep(ms, undefined, { signal });
    return true;
  } catch {
    return false;
  }
}
