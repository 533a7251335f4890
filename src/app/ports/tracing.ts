import type { Job } from '../../domain/job.js';
import type { Run } from '../../domain/run.js';

/** The trace a check ran in, so that every sink can point at the same one. */
export interface TraceContext {
  /** 32 lower-case hex digits (128 bits): Datadog's trace id in W3C form, App Insights' operation id. */
  readonly traceId: string;
  /** 16 lower-case hex digits: the check's span. */
  readonly spanId: string;
  /** Fields that link a log record to the trace in the tracing tool (Datadog: `{ dd: { trace_id, span_id, … } }`). */
  readonly logFields: Readonly<Record<string, unknown>>;
}

/** A run and, when it was traced, its trace. */
export interface TracedRun {
  readonly run: Run;
  readonly trace?: TraceContext;
}

/** Wraps each check in a trace span (Datadog). Optional: without it (the default) checks are not traced, and cost no wrapper. */
export interface Tracing {
  /**
   * Runs `fn` inside a new span for the check, active while it runs so that the HTTP requests it
   * makes become child spans; the span ends with the run's facts (an error when not `up`). A
   * rejection of `fn` ends the span as an error and is passed on.
   */
  traceCheck(job: Job, runId: string, fn: () => Promise<Run>): Promise<TracedRun>;
}
