import { Cron } from 'croner';
import type { TimerHandler } from '@azure/functions';
import type { Logger } from '../../app/ports/index.js';
import { invocationContext } from './context.js';

const MAX_TIMEOUT_MS = 2 ** 31 - 1;

/**
 * Fires a timer function like the Functions host does: at each occurrence of its NCRONTAB schedule
 * (UTC), never two invocations at once; an occurrence missed while the previous invocation ran fires
 * once, as soon as it ends, with `isPastDue: true`.
 */
export class TimerRunner {
  readonly #cron: Cron;
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<void> | undefined;
  #stopped = false;
  #last: Date | undefined;

  constructor(
    readonly name: string,
    readonly schedule: string,
    readonly handler: TimerHandler,
    readonly logger: Logger,
  ) {
    this.#cron = new Cron(schedule, { paused: true, mode: '5-or-6-parts', timezone: 'UTC' });
  }

  start(): void {
    this.#scheduleNext(new Date());
  }

  /** Stops firing and waits for the invocation in progress, if any. */
  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#timer);
    await this.#running;
  }

  #scheduleNext(after: Date): void {
    if (this.#stopped) return;
    const next = this.#cron.nextRun(after);
    if (next) this.#arm(next);
  }

  /** Fires at `next`. setTimeout fires at once past 2^31-1 ms (24.8 days): longer waits are chained. */
  #arm(next: Date): void {
    const delay = next.getTime() - Date.now();
    this.#timer =
      delay > MAX_TIMEOUT_MS ? setTimeout(() => this.#arm(next), MAX_TIMEOUT_MS) : setTimeout(() => this.#fire(next, false), Math.max(0, delay));
  }

  #fire(scheduled: Date, isPastDue: boolean): void {
    const now = new Date();
    const timer = {
      isPastDue,
      schedule: { adjustForDST: true },
      scheduleStatus: {
        last: (this.#last ?? scheduled).toISOString(),
        next: (this.#cron.nextRun(scheduled) ?? scheduled).toISOString(),
        lastUpdated: now.toISOString(),
      },
    };
    this.#last = scheduled;
    const context = invocationContext(this.name, this.logger);
    this.#running = Promise.resolve()
      .then(() => this.handler(timer, context))
      .then(
        () => undefined,
        (error: unknown) => this.logger.error({ err: error, function: this.name }, 'timer function failed'),
      )
      .finally(() => {
        this.#running = undefined;
        const missed = this.#cron.nextRun(scheduled);
        if (!this.#stopped && missed && missed.getTime() <= Date.now()) this.#fire(missed, true);
        else this.#scheduleNext(new Date());
      });
  }
}
