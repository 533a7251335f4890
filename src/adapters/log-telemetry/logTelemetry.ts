import type { CircuitState, Logger, TelemetrySink, TraceContext } from '../../app/ports/index.js';
import type { AlertEvent } from '../../domain/alerting/event.js';
import type { Job } from '../../domain/job.js';
import { failedConditions, failedDegraded } from '../../domain/outcome.js';
import type { Run } from '../../domain/run.js';
import type { StateEffect } from '../../domain/state.js';

/**
 * The log sink: one structured JSON line per run (`event: "run"`), per health change, per
 * circuit transition and per alert event (`event: "alert"`). Always on. A traced run's line carries the trace's log fields (Datadog:
 * `dd.trace_id`, `dd.span_id`), so the line and the span can be found from each other.
 */
export class LogTelemetry implements TelemetrySink {
  readonly name = 'log';
  constructor(readonly logger: Logger) {}

  runCompleted(run: Run, job: Job, trace?: TraceContext): void {
    const level = run.status === 'up' ? 'info' : run.status === 'error' ? 'error' : 'warn';
    this.logger[level](
      {
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
        failedConditions: failedConditions(job.conditions, run.conditions),
        ...(run.status === 'degraded' ? { failedDegradedConditions: failedDegraded(run.conditions) } : {}),
        ...(run.maintenance ? { maintenance: true } : {}),
        errorKind: run.error?.kind ?? null,
        errorMessage: run.error?.message ?? null,
        location: run.location,
        tags: job.tags,
        ...(run.timings ? { timings: run.timings } : {}),
        ...(run.parentRunId === undefined ? {} : { parentRunId: run.parentRunId }),
        ...trace?.logFields,
      },
      `${run.job} ${run.status}`,
    );
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
