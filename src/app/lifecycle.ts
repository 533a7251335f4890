import type { Dispatcher, TickReport } from './dispatcher.js';
import type { FlushOptions, StoreLifecycle, Telemetry } from './ports/index.js';

export interface LifecycleDeps {
  readonly dispatcher: Pick<Dispatcher, 'tick' | 'settled'>;
  /** Flushed after each tick and at shutdown. */
  readonly telemetry: Pick<Telemetry, 'flush'>;
  /** Flushed after each tick and at shutdown. */
  readonly store: Pick<StoreLifecycle, 'flush'>;
  /** Alert decisions in the background: awaited at shutdown. Default none. */
  readonly alerting?: { settled(): Promise<void> };
  /** The alert outbox: pumped after each tick, its pass awaited at shutdown. Default none. */
  readonly outbox?: { kick(): void; settled(): Promise<void> };
}

/** The two signals every run gets: `stop` (no new run starts) and `abort` (runs in flight are cut short). */
export interface RunSignals {
  readonly stop: AbortSignal;
  readonly abort: AbortSignal;
}

/**
 * The app's life between start and shutdown: the dispatcher's ticks and the manual runs are tracked
 * here, so that a graceful shutdown waits for them all and, past its grace period, aborts them.
 */
export class Lifecycle {
  readonly #deps: LifecycleDeps;
  /** Aborted at shutdown: no new run starts. */
  readonly #stop = new AbortController();
  /** Aborted when the shutdown grace period ends: runs in flight are cut short. */
  readonly #abort = new AbortController();
  readonly #busy = new Set<Promise<unknown>>();
  #flushing: Promise<void> | undefined;

  constructor(deps: LifecycleDeps) {
    this.#deps = deps;
  }

  /** True once `shutdown` was called: nothing new should start. */
  get stopping(): boolean {
    return this.#stop.signal.aborted;
  }

  /** The dispatcher timer: plans and runs due checks, then starts a flush of telemetry and the store (not waited for). */
  tick(): Promise<TickReport> {
    if (this.stopping) return Promise.resolve({ planned: 0, started: 0, runs: [], running: 0 });
    return this.track(async (signals) => {
      try {
        // Ends at the tick's horizon; runs still going on are awaited by `shutdown`, not here.
        return await this.#deps.dispatcher.tick(signals);
      } finally {
        this.#deps.outbox?.kick();
        this.#flushSoon();
      }
    });
  }

  /**
   * Resolves when the background work started so far is done: the alert decisions of the runs
   * recorded (written, their notifications queued), then the outbox pass sending them.
   */
  async idle(): Promise<void> {
    await this.#deps.alerting?.settled();
    await this.#deps.outbox?.settled();
  }

  /** Runs `fn` with the shutdown signals; `shutdown` waits for it. */
  track<T>(fn: (signals: RunSignals) => Promise<T>): Promise<T> {
    const promise = fn({ stop: this.#stop.signal, abort: this.#abort.signal });
    this.#busy.add(promise);
    void promise.finally(() => this.#busy.delete(promise)).catch(() => undefined);
    return promise;
  }

  /**
   * Stops starting runs, lets those in flight finish for up to `graceMs`, then aborts them (they are
   * recorded as timeouts) and waits for them to settle; flushes telemetry and the store last.
   */
  async shutdown(graceMs: number): Promise<void> {
    this.#stop.abort(new Error('shutting down'));
    // The ticks and manual runs, and the scheduled runs that outlived their tick.
    const settled = Promise.allSettled([...this.#busy]).then(() => this.#deps.dispatcher.settled());
    let timer: NodeJS.Timeout | undefined;
    const graceOver = new Promise<'late'>((resolve) => (timer = setTimeout(() => resolve('late'), graceMs)));
    if ((await Promise.race([settled, graceOver])) === 'late') this.#abort.abort(new Error('shutdown grace period over'));
    clearTimeout(timer);
    await settled;
    await this.idle();
    await this.#flush();
  }

  /**
   * Flushes in the background, one flush at a time: the tick does not wait for it. Storage that
   * takes connections and never answers held each tick for the SDK's timeouts (10 s and more), and
   * with it every check (2 runs of a 1 s job in 20 s); writes wait in the store's buffer instead,
   * and `shutdown` still flushes last. Failures show in health (the store) and the sinks' own logs.
   */
  #flushSoon(): void {
    if (this.#flushing) return;
    this.#flushing = this.#flush({ periodic: true })
      .catch(() => undefined)
      .finally(() => (this.#flushing = undefined));
  }

  async #flush(options?: FlushOptions): Promise<void> {
    await Promise.all([this.#deps.telemetry.flush(), this.#deps.store.flush(options)]);
  }
}
