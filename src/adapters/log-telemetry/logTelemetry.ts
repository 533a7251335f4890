import type { CircuitState, Logger, TelemetrySink, TraceContext } from '../../app/ports/index.js';
import type { AlertEvent } from '../../domain/alerting/event.js';
import type { Job } from '../../domain/job.js';
import { failedConditions, failedDegraded } from '../../domain/outcome.js';
import type { Run } from '../../domain/run.js';
import type { StateEffect } from '../../domain/state.js';
import { jsonLineWriter, type JsonLineWriter } from './jsonLine.js';

const NO_CONDITIONS: readonly string[] = [];

/**
 * The log sink: one structured JSON line per run (`event: "run"`), per health change, per
 * circuit transition and per alert event (`event: "alert"`). Always on. A traced run's line carries the trace's log fields (Datadog:
 * `dd.trace_id`, `dd.span_id`), so the line and the span can be found from each other.
 */
export class LogTelemetry implements TelemetrySink {
  readonly name = 'log';
  /** The run line's dedicated serialiser (jsonLine.ts), when the logger allows it. */
  readonly #lines: JsonLineWriter | undefined;

  constructor(readonly logger: Logger) {
    this.#lines = jsonLineWriter(logger);
  }

  runCompleted(run: Run, job: Job, trace?: TraceContext): void {
    const level = run.status === 'up' ? 'info' : run.status === 'error' ? 'error' : 'warn';
    // Optional fields are `undefined` when absent (left out of the line), not spread in: one object per run.
    const fields = {
      event: 'run',
      job: run.job,
      runId: run.runId,
      trigger: run.trigger,
      status: run.status,
      success: run.success,
      attempts: run.attempts,
      durationMs: run.durationMs,
      httpStatus: run.httpStatus,
      scheduledAt: run.scheduledAt,
      startedAt: run.startedAt,
      latenessMs: Date.parse(run.startedAt) - Date.parse(run.scheduledAt),
      // An `up` run has no failed condition: no list to build on the usual path.
      failedConditions: run.status === 'up' ? NO_CONDITIONS : failedConditions(job.conditions, run.conditions),
      failedDegradedConditions: run.status === 'degraded' ? failedDegraded(run.conditions) : undefined,
      maintenance: run.maintenance ? true : undefined,
      errorKind: run.error?.kind ?? null,
      errorMessage: run.error?.message ?? null,
      location: run.location,
      tags: job.tags,
      timings: run.timings,
      parentRunId: run.parentRunId,
    };
    if (trace) Object.assign(fields, trace.logFields);
    const message = `${run.job} ${run.status}`;
    if (!this.#lines?.(level, fields, message)) this.logger[level](fields, message);
  }

  healthChanged(effect: StateEffect): void {
    this.logger[effect.to === 'DOWN' || effect.to === 'DEGRADED' ? 'warn' : 'info'](
      { event: 'health-changed', job: effect.job, from: effect.from, to: effect.to, runId: effect.run.runId },
      `${effect.job} is now ${effect.to}`,
    );
  }

  circuitChanged(job: string, state: CircuitState): void {
    this.logger.warn({ event: 'circuit', job, state }, `${job} circuit ${state}`);
  }

  alertEvent(event: AlertEvent, channels: readonly string[]): void {
    const { data } = event;
    this.logger[event.type === 'alert.resolved' ? 'info' : 'warn'](
      { event: 'alert', type: event.type, eventId: event.id, alertId: data.alertId, job: data.job, status: data.status, since: data.since, failures: data.failures, location: data.location, runId: data.run.runId, reason: data.run.reason, channels, ...(data.downForMs === undefined ? {} : { downForMs: data.downForMs }), ...(data.dependents ? { dependents: data.dependents } : {}) },
      `${data.job}: ${event.type}`,
    );
  }

  async flush(): Promise<void> {}
}
