import type { Job } from '../../domain/job.js';
import type { Run } from '../../domain/run.js';
import type { StateEffect } from '../../domain/state.js';

export type CircuitState = 'closed' | 'open' | 'half-open' | 'isolated';

/**
 * Domain events, fanned out to sinks (logs now; Application Insights and Datadog later). Calls return
 * at once: a sink never delays or fails a check.
 */
export interface Telemetry {
  runCompleted(run: Run, job: Job): void;
  healthChanged(effect: StateEffect): void;
  circuitChanged(job: string, state: CircuitState): void;
  /** Sends what is buffered; called before an invocation ends. */
  flush(): Promise<void>;
}

/** Structured logging (pino's calling convention). */
export interface Logger {
  debug(fields: object, message?: string): void;
  info(fields: object, message?: string): void;
  warn(fields: object, message?: string): void;
  error(fields: object, message?: string): void;
}
