import type { Run } from './run.js';

export type Health = 'UP' | 'DOWN' | 'UNKNOWN';

/** What is remembered about a job between runs. */
export interface JobState {
  readonly health: Health;
  /** ISO instant the health last changed. */
  readonly since: string | null;
  readonly consecutiveFailures: number;
  readonly consecutiveSuccesses: number;
  readonly lastRun: Pick<Run, 'runId' | 'status' | 'startedAt' | 'durationMs' | 'httpStatus' | 'error'> | null;
}

export const INITIAL_STATE: JobState = {
  health: 'UNKNOWN',
  since: null,
  consecutiveFailures: 0,
  consecutiveSuccesses: 0,
  lastRun: null,
};

export type StateEffect = { readonly type: 'health-changed'; readonly job: string; readonly from: Health; readonly to: Health; readonly run: Run };

/**
 * Folds a finished run into the job's state. Skipped runs change nothing but `lastRun`; an `up` run
 * makes the job UP, a `down` or `error` run DOWN. A change of health is returned as an effect.
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
  if (run.status === 'skipped') return { next: { ...prev, lastRun }, effects: [] };
  const health: Health = run.status === 'up' ? 'UP' : 'DOWN';
  const changed = health !== prev.health;
  const next: JobState = {
    health,
    since: changed ? run.startedAt : prev.since,
    consecutiveFailures: health === 'DOWN' ? prev.consecutiveFailures + 1 : 0,
    consecutiveSuccesses: health === 'UP' ? prev.consecutiveSuccesses + 1 : 0,
    lastRun,
  };
  return {
    next,
    effects: changed ? [{ type: 'health-changed', job: run.job, from: prev.health, to: health, run }] : [],
  };
}
