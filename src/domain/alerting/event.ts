import type { Run, RunStatus } from '../run.js';

/** What a notification is about (`alert.test`: a test sent by `POST /api/channels/{name}/test`). */
export type AlertEventType = 'alert.triggered' | 'alert.resolved' | 'alert.reminder' | 'alert.test';

/** A run's status as alert rules see it: `degraded` comes with degraded conditions (issue 15, later). */
export type AlertStatus = RunStatus | 'degraded';

/** The part of a run an alert decision reads (a `Run`, or several locations' runs combined). */
export interface AlertRun {
  readonly runId: string;
  readonly job: string;
  readonly status: AlertStatus;
  /** ISO 8601 instant the run started. */
  readonly startedAt: string;
  readonly httpStatus: number | null;
  readonly conditions: Run['conditions'];
  readonly error?: Run['error'];
  /** Where the run ran; a comma-separated list when several locations are combined (`minLocations`). */
  readonly location: string;
}

/** The run an event was decided on, as receivers see it (`data.run` of a webhook event). */
export interface EventRun {
  readonly runId: string;
  readonly status: AlertStatus;
  readonly startedAt: string;
  readonly httpStatus: number | null;
  /** Why the run is not up: the failed conditions or the error; empty when it is up. */
  readonly reason: string;
}

/**
 * One alert event: the webhook body is `{ type, timestamp, data }` exactly; the other channels turn it
 * into their own message (domain/alerting/message.ts).
 */
export interface AlertEvent {
  /** Unique per event (`<job>:<alertId>-<kind>-<instant>`) and stable across retries of its delivery: the idempotency key. */
  readonly id: string;
  readonly type: AlertEventType;
  /** ISO 8601 instant the event was decided. */
  readonly timestamp: string;
  readonly data: {
    /** The incident: one per trigger, shared by its reminders and its resolution. */
    readonly alertId: string;
    readonly job: string;
    readonly status: AlertStatus;
    /** ISO 8601 instant of the first failed run of the incident. */
    readonly since: string;
    /** Consecutive failed runs so far (on resolution: those that triggered it). */
    readonly failures: number;
    readonly location: string;
    readonly run: EventRun;
    /** On `alert.resolved`: how long it was down, in milliseconds (`since` until the resolving run). */
    readonly downForMs?: number;
    /**
     * On `alert.triggered` and `alert.reminder`: the jobs this job takes down while it is down (those
     * that name it in `dependsOn`, followed through, sorted: their alerts are suppressed); absent when none.
     */
    readonly dependents?: readonly string[];
  };
}

/**
 * The event with the jobs its job takes down (`data.dependents`), for a trigger or a reminder of a
 * job that others depend on; any other event, or no dependents, as it is.
 */
export function withDependents(event: AlertEvent, dependents: readonly string[]): AlertEvent {
  if (dependents.length === 0 || (event.type !== 'alert.triggered' && event.type !== 'alert.reminder')) return event;
  return { ...event, data: { ...event.data, dependents: [...dependents] } };
}

/**
 * Why a run is not up, in one line: each failed condition with its actual value (for a run down on
 * its conditions, those of `conditions`; for a degraded run, its failed degraded conditions), else
 * the error as `kind: message` (a timeout, a refused connection …).
 */
export function reasonOf(run: Pick<AlertRun, 'error' | 'conditions' | 'status'>): string {
  const failed = run.conditions.filter((c) => !c.success && (run.status === 'degraded' || c.degraded !== true));
  if (run.error && !(run.error.kind === 'conditions' && failed.length > 0)) return `${run.error.kind}: ${run.error.message}`;
  if (failed.length === 0) return run.status === 'up' ? '' : run.status;
  return failed.map((c) => (c.actual === null ? c.condition : `${c.condition} (actual: ${c.actual})`)).join('; ');
}

/** `data.run` of an event. */
export const eventRun = (run: AlertRun): EventRun => ({
  runId: run.runId,
  status: run.status,
  startedAt: run.startedAt,
  httpStatus: run.httpStatus,
  reason: reasonOf(run),
});
