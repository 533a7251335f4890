import type { AlertEvent } from '../../domain/alerting/event.js';
import type { Job } from '../../domain/job.js';
import type { Run } from '../../domain/run.js';
import type { StateEffect } from '../../domain/state.js';
import type { TraceContext } from './tracing.js';

export type CircuitState = 'closed' | 'open' | 'half-open' | 'isolated';

/**
 * Domain events, fanned out to sinks (logs, Application Insights, Datadog, Prometheus). Calls return
 * at once: a sink never delays or fails a check.
 */
export interface Telemetry {
  /** A run finished; `trace` is the span it ran in, when tracing is on. */
  runCompleted(run: Run, job: Job, trace?: TraceContext): void;
  healthChanged(effect: StateEffect): void;
  circuitChanged(job: string, state: CircuitState): void;
  /** An alert was triggered, reminded or resolved (decided once, by the instance that recorded it), queued for `channels`. */
  alertEvent?(event: AlertEvent, channels: readonly string[]): void;
  /** Sends what is buffered; called before an invocation ends. */
  flush(): Promise<void>;
}

/** One destination of telemetry, behind the fan-out (which isolates its failures). */
export interface TelemetrySink extends Telemetry {
  /** Short name for logs and counters, e.g. `appInsights`. */
  readonly name: string;
  /** Releases what the sink holds (exporters, sockets) after a last flush. Default: nothing to do. */
  close?(): Promise<void>;
}

/** Structured logging (pino's calling convention). */
export interface Logger {
  debug(fields: object, message?: string): void;
  info(fields: object, message?: string): void;
  warn(fields: object, message?: string): void;
  error(fields: object, message?: string): void;
}
