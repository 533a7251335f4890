import type { Run } from './run.js';

/**
 * A job's health. `DEGRADED`: the last run was `degraded` (conditions hold, a degraded condition
 * does not; up for uptime). `MAINTENANCE`: the last run fell in a maintenance window (run or paused).
 */
export type Health = 'UP' | 'DEGRADED' | 'DOWN' | 'UNKNOWN' | 'MAINTENANCE';

/** What is remembered about a job between runs. */
export interface JobState {
  readonly health: Health;
  /** ISO instant the health last changed. */
  readonly since: string | null;
  readonly consecutiveFailures: number;
  readonly consecutiveSuccesses: number;
  readonly lastRun: Pick<Run, 'runId' | 'status' | 'startedAt' | 'durationMs' | 'httpStatus' | 'error'> | null;
}

const HEALTH_OF: Record<Exclude<Run['status'], 'skipped'>, Health> = { up: 'UP', degraded: 'DEGRADED', down: 'DOWN', error: 'DOWN' };

export const INITIAL_STATE: JobState = {
  health: 'UNKNOWN',
  since: null,
  consecutiveFailures: 0,
  consecutiveSuccesses: 0,
  lastRun: null,
};

export type StateEffect = { readonly type: 'health-changed'; readonly job: string; readonly from: Health; readonly to: Health; readonly run: Run };

/**
 * Folds a finished run into the job's state. A run in a maintenance window (`maintenance: true`,
 * paused or not) makes the job MAINTENANCE and counts neither way; other skipped runs change nothing
 * but `lastRun`; an `up` run makes the job UP, a `degraded` one DEGRADED (both count as successes), a
 * `down` or `error` run DOWN. A change of health (UP ↔ DEGRADED included) is returned as an effect.
 */
export function decideState(prev: JobState, run: Run): { next: JobState; effects: StateEffect[] } {
  const lastRun = {
    runId: run.runId,
    status: run.status,
    startedAt: run.startedAt,
    durationMs: run.durationMs,
    httpStatus: run.httpStatus,
    ...(run.error ? { error: run.error } : {}),
  };
  const maintenance = run.maintenance === true;
  if (run.status === 'skipped' && !maintenance) return { next: { ...prev, lastRun }, effects: [] };
  const health: Health = maintenance || run.status === 'skipped' ? 'MAINTENANCE' : HEALTH_OF[run.status];
  const changed = health !== prev.health;
  const next: JobState = {
    health,
    since: changed ? run.startedAt : prev.since,
    consecutiveFailures: maintenance ? prev.consecutiveFailures : health === 'DOWN' ? prev.consecutiveFailures + 1 : 0,
    consecutiveSuccesses: maintenance ? prev.consecutiveSuccesses : health === 'DOWN' ? 0 : prev.consecutiveSuccesses + 1,
    lastRun,
  };
  return {
    next,
    effects: changed ? [{ type: 'health-changed', job: run.job, from: prev.health, to: health, run }] : [],
  };
}
