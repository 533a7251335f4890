import type { TraceContext, TracedRun, Tracing } from '../../app/ports/index.js';
import type { Job } from '../../domain/job.js';
import type { Run } from '../../domain/run.js';
import type { Span } from 'dd-trace';
import type { Tracer } from './tracer.js';

/** The span of one check; its HTTP requests are children made by dd-trace's undici integration. */
export const CHECK_SPAN = 'pulsecheck.check';

/**
 * Datadog tracing: each check runs in its own span (`pulsecheck.check`, resource = job), active
 * while the check's requests run. Timer invocations are not traced by dd-trace on their own, so
 * without it a scheduled check would have no trace at all. Tags: `job`, `status`,
 * `http.status_code`, `attempts`, `location`, `trigger`, `pulsecheck.run_id`; a run that is `down`
 * (or an `error`) marks the span as an error with its reason.
 */
export class DatadogTracing implements Tracing {
  readonly #tracer: Tracer;

  constructor(tracer: Tracer) {
    this.#tracer = tracer;
  }

  traceCheck(job: Job, runId: string, fn: () => Promise<Run>): Promise<TracedRun> {
    const options = { resource: job.name, type: 'custom', tags: { job: job.name, 'pulsecheck.run_id': runId } };
    return this.#tracer.trace(CHECK_SPAN, options, async (span) => {
      const run = await fn();
      if (!span) return { run };
      span.addTags({
        status: run.status,
        attempts: run.attempts,
        location: run.location,
        trigger: run.trigger,
        ...(run.httpStatus === null ? {} : { 'http.status_code': String(run.httpStatus) }),
      });
      if (run.status === 'down' || run.status === 'error') {
        span.addTags({ error: true, 'error.type': run.error?.kind ?? run.status, 'error.message': run.error?.message ?? run.status });
      }
      return { run, trace: this.#context(span) };
    });
  }

  #context(span: Span): TraceContext {
    // W3C form: 00-<32 hex trace id>-<16 hex span id>-<flags>; the trace id is the full 128 bits.
    const [, traceId = '', spanId = ''] = span.context().toTraceparent().split('-');
    const logFields: Record<string, unknown> = {};
    this.#tracer.inject(span, 'log', logFields);
    return { traceId, spanId, logFields };
  }
}
