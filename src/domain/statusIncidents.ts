import { reasonOf } from './alerting/event.js';
import type { Run, RunErrorKind } from './run.js';

/** An incident as the status page lists it: a stretch of consecutive bad runs of a job. */
export interface StatusIncident {
  /** ISO 8601: when the first bad run started. */
  readonly start: string;
  /** ISO 8601: when the next good run started; `null` while the incident goes on. */
  readonly end: string | null;
  /** `end` (or now, while it goes on) minus `start`, in ms. */
  readonly durationMs: number;
  readonly ongoing: boolean;
  /** Bad runs in the stretch (of the runs read). */
  readonly failedRuns: number;
  /** Why the first bad run failed: see `failureReason`. */
  readonly reason: string;
}

/** The run fields an incident is made of. */
export type IncidentRun = Pick<Run, 'status' | 'startedAt' | 'httpStatus' | 'error' | 'maintenance' | 'conditions'>;

const LABELS: Readonly<Record<RunErrorKind, string>> = {
  timeout: 'timed out',
  connect: 'connection failed',
  dns: 'DNS lookup failed',
  tls: 'TLS handshake failed',
  reset: 'connection reset',
  protocol: 'protocol error',
  conditions: 'conditions failed',
  'circuit-open': 'circuit open',
  overlap: 'overlapping run',
  overloaded: 'overloaded',
  aborted: 'aborted',
  internal: 'internal error',
  'secret-unavailable': 'credentials unavailable',
  'blocked-target': 'target blocked',
  maintenance: 'paused for maintenance',
  'upstream-down': 'upstream job down',
};

/**
 * Why a run failed, in a few words: the error kind as a label with the HTTP status (`conditions
 * failed (HTTP 503)`), then, when `detail`, what failed: the failed conditions worded as the alerts
 * word them (`[STATUS] < 300 (actual: 503)`, `reasonOf`), or the run's error message (already masked
 * of secrets); at most 300 characters. Without `detail` (an anonymous public page) nothing more is
 * shown: it may name internal addresses.
 */
export function failureReason(run: Pick<Run, 'status' | 'httpStatus' | 'error' | 'conditions'>, detail: boolean): string {
  const label = run.error ? LABELS[run.error.kind] : 'failed';
  const status = run.httpStatus === null ? '' : ` (HTTP ${run.httpStatus})`;
  const what = run.error?.kind === 'conditions' && run.conditions.some((c) => !c.success) ? reasonOf(run) : run.error?.message;
  const message = detail && what ? `: ${what}` : '';
  const text = `${label}${status}${message}`;
  return text.length > 300 ? `${text.slice(0, 299)}…` : text;
}

const isBad = (run: IncidentRun) => run.maintenance !== true && (run.status === 'down' || run.status === 'error');
const isGood = (run: IncidentRun) => run.maintenance !== true && (run.status === 'up' || run.status === 'degraded');

/**
 * The incidents in a job's recent runs, newest first, at most `limit`: each stretch of bad runs
 * (`down`, `error`) up to the next good run (`up`, `degraded`); runs in maintenance and skipped runs
 * neither start nor end one, like the rollups' incidents. `runs` are newest first (as the history
 * lists them). An incident still going on lasts until `now` (epoch ms); when its first bad run is
 * older than the runs read, `downSince` (the job state's `since`, if earlier) is its start.
 */
export function incidentsOf(
  runs: readonly IncidentRun[],
  now: number,
  options: { readonly limit: number; readonly detail: boolean; readonly downSince?: string | null },
): StatusIncident[] {
  const found: StatusIncident[] = [];
  let first: IncidentRun | undefined;
  let failed = 0;
  let endedBy: IncidentRun | undefined;
  const close = (end: IncidentRun | undefined) => {
    if (!first) return;
    const start = Date.parse(first.startedAt);
    const stop = end ? Date.parse(end.startedAt) : now;
    found.push({
      start: first.startedAt,
      end: end ? end.startedAt : null,
      durationMs: Math.max(0, stop - start),
      ongoing: !end,
      failedRuns: failed,
      reason: failureReason(first, options.detail),
    });
    first = undefined;
    failed = 0;
  };
  // Oldest first: a stretch starts at a bad run and ends at the next good one.
  for (let i = runs.length - 1; i >= 0; i--) {
    const run = runs[i] as IncidentRun;
    if (isBad(run)) {
      first ??= run;
      failed++;
    } else if (isGood(run)) {
      endedBy = run;
      close(endedBy);
    }
  }
  if (first) {
    const since = options.downSince ? Date.parse(options.downSince) : Number.NaN;
    // Every run read is bad: the job may have been down for longer than the history page shows.
    if (endedBy === undefined && since < Date.parse(first.startedAt)) first = { ...first, startedAt: new Date(since).toISOString() };
    close(undefined);
  }
  return found.reverse().slice(0, options.limit);
}
