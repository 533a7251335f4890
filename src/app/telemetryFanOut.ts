import type { AlertEvent } from '../domain/alerting/event.js';
import type { Job } from '../domain/job.js';
import type { Run } from '../domain/run.js';
import type { StateEffect } from '../domain/state.js';
import type { CircuitState, Clock, ComponentHealth, HealthContributor, Logger, Telemetry, TelemetrySink, TraceContext } from './ports/index.js';

type TelemetryEvent =
  | { readonly type: 'run'; readonly run: Run; readonly job: Job; readonly trace: TraceContext | undefined }
  | { readonly type: 'health'; readonly effect: StateEffect }
  | { readonly type: 'circuit'; readonly job: string; readonly state: CircuitState }
  | { readonly type: 'alert'; readonly event: AlertEvent; readonly channels: readonly string[] };

export interface FanOutOptions {
  readonly logger: Logger;
  readonly clock: Clock;
  /** Events held while the sinks catch up; beyond it, new events are dropped and counted. Default 10 000. */
  readonly capacity?: number;
  /**
   * Longest a flush waits for one sink, in ms. Default 1 000: the dispatcher flushes at the end of
   * each tick, just before the next one, so a sink that cannot reach its endpoint must not hold the
   * timer back. What is not sent by then stays in the sink's own queue for its next export. A sink
   * whose flush did not finish in time is not waited for again until one of its flushes does.
   */
  readonly flushTimeoutMs?: number;
}

/** How long a drop or a sink error keeps the `telemetry` health degraded, in ms. */
const RECENT_MS = 5 * 60_000;

/**
 * The Telemetry port in front of every sink. A call only queues the event and returns; the queue
 * is delivered to each sink on the next turn of the event loop, each call in its own try/catch, so a
 * slow or failing sink never delays or fails a check or another sink. The queue is bounded: when
 * the sinks cannot keep up, new events are dropped and counted rather than held.
 */
export class FanOutTelemetry implements Telemetry, HealthContributor {
  readonly name = 'telemetry';
  readonly #sinks: readonly TelemetrySink[];
  readonly #options: Required<FanOutOptions>;
  #queue: TelemetryEvent[] = [];
  #scheduled = false;
  #dropped = 0;
  #lastDropAt: number | undefined;
  readonly #errors = new Map<string, { count: number; lastAt: number }>();
  /** Flushes running, per sink: one at a time. */
  readonly #pending = new Map<TelemetrySink, Promise<void>>();
  /** Sinks whose last flush did not finish in time: not waited for until one does. */
  readonly #slow = new Set<TelemetrySink>();

  constructor(sinks: readonly TelemetrySink[], options: FanOutOptions) {
    this.#sinks = sinks;
    this.#options = { capacity: 10_000, flushTimeoutMs: 1_000, ...options };
  }

  /** Names of the sinks events go to. */
  get sinks(): string[] {
    return this.#sinks.map((sink) => sink.name);
  }

  /** Events dropped because the queue was full, since start. */
  get dropped(): number {
    return this.#dropped;
  }

  runCompleted(run: Run, job: Job, trace?: TraceContext): void {
    this.#push({ type: 'run', run, job, trace });
  }

  healthChanged(effect: StateEffect): void {
    this.#push({ type: 'health', effect });
  }

  circuitChanged(job: string, state: CircuitState): void {
    this.#push({ type: 'circuit', job, state });
  }

  alertEvent(event: AlertEvent, channels: readonly string[]): void {
    this.#push({ type: 'alert', event, channels });
  }

  /**
   * Delivers what is queued, then flushes every sink, waiting for each at most `flushTimeoutMs`
   * (and not at all for a sink whose previous flush is still running). Never rejects.
   */
  async flush(): Promise<void> {
    this.#drain();
    await Promise.all(this.#sinks.map((sink) => this.#flushSink(sink)));
  }

  /** A last flush, then each sink releases its exporters. */
  async close(): Promise<void> {
    await this.flush();
    await Promise.all(this.#sinks.map((sink) => this.#bounded(sink, 'close', Promise.resolve().then(() => sink.close?.()))));
  }

  health(): ComponentHealth {
    const now = this.#options.clock.now();
    const errors = Object.fromEntries([...this.#errors].map(([name, e]) => [name, e.count]));
    const recentError = [...this.#errors.values()].some((e) => now - e.lastAt < RECENT_MS);
    const recentDrop = this.#lastDropAt !== undefined && now - this.#lastDropAt < RECENT_MS;
    const facts = { sinks: this.sinks, dropped: this.#dropped, sinkErrors: errors };
    if (recentDrop) return { status: 'degraded', detail: 'events were dropped in the last 5 minutes: the sinks cannot keep up', ...facts };
    if (recentError) return { status: 'degraded', detail: 'a sink failed in the last 5 minutes (see the log)', ...facts };
    return { status: 'ok', detail: `${this.#sinks.length} sink${this.#sinks.length === 1 ? '' : 's'}`, ...facts };
  }

  #push(event: TelemetryEvent): void {
    if (this.#queue.length >= this.#options.capacity) {
      this.#dropped++;
      this.#lastDropAt = this.#options.clock.now();
      // Once, then every 10 000th drop: the log must not become the next bottleneck.
      if (this.#dropped % 10_000 === 1) this.#options.logger.warn({ event: 'telemetry-dropped', dropped: this.#dropped }, 'telemetry queue full: events dropped');
      return;
    }
    this.#queue.push(event);
    if (!this.#scheduled) {
      this.#scheduled = true;
      setImmediate(() => this.#drain());
    }
  }

  #drain(): void {
    this.#scheduled = false;
    const batch = this.#queue;
    if (batch.length === 0) return;
    this.#queue = [];
    for (const sink of this.#sinks) {
      for (const event of batch) {
        try {
          if (event.type === 'run') sink.runCompleted(event.run, event.job, event.trace);
          else if (event.type === 'health') sink.healthChanged(event.effect);
          else if (event.type === 'circuit') sink.circuitChanged(event.job, event.state);
          else sink.alertEvent?.(event.event, event.channels);
        } catch (error) {
          this.#failed(sink, event.type, error);
        }
      }
    }
  }

  #flushSink(sink: TelemetrySink): Promise<void> {
    let flushing = this.#pending.get(sink);
    if (!flushing) {
      const started = this.#options.clock.now();
      flushing = Promise.resolve()
        .then(() => sink.flush())
        .then(
          () => {
            if (this.#options.clock.now() - started <= this.#options.flushTimeoutMs) this.#slow.delete(sink);
          },
          (error: unknown) => this.#failed(sink, 'flush', error),
        )
        .finally(() => this.#pending.delete(sink));
      this.#pending.set(sink, flushing);
    }
    // A sink that could not flush in time last time (its endpoint is down) goes on in the background.
    if (this.#slow.has(sink)) return Promise.resolve();
    return this.#bounded(sink, 'flush', flushing, () => this.#slow.add(sink));
  }

  async #bounded(sink: TelemetrySink, what: string, work: Promise<void>, onTimeout?: () => void): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), this.#options.flushTimeoutMs);
      timer.unref();
    });
    try {
      if ((await Promise.race([work, timeout])) === 'timeout') {
        onTimeout?.();
        this.#failed(sink, what, new Error(`${what} took over ${this.#options.flushTimeoutMs} ms`));
      }
    } catch (error) {
      this.#failed(sink, what, error);
    } finally {
      clearTimeout(timer);
    }
  }

  #failed(sink: TelemetrySink, what: string, error: unknown): void {
    const entry = this.#errors.get(sink.name) ?? { count: 0, lastAt: 0 };
    entry.count++;
    entry.lastAt = this.#options.clock.now();
    this.#errors.set(sink.name, entry);
    if (entry.count % 1_000 === 1) {
      this.#options.logger.warn({ event: 'telemetry-sink-failed', sink: sink.name, what, failures: entry.count, err: error }, `telemetry sink ${sink.name} failed`);
    }
  }
}
