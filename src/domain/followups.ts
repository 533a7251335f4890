import type { RunStatus } from './run.js';

/** The jobs run right after a run of this job (trigger `followup`), by name (docs/alerting.md, Follow-ups). */
export interface FollowUps {
  /** After a run that is `down` or `error`. */
  readonly onFailure: readonly string[];
  /** After a run that is `up` or `degraded`. */
  readonly onSuccess: readonly string[];
  /** After any run that is not `skipped`. */
  readonly onCompletion: readonly string[];
}

export const FOLLOW_UP_FIELDS = ['onFailure', 'onSuccess', 'onCompletion'] as const;

/**
 * How deep follow-ups of follow-ups go: a run started by a scheduled or manual run is at depth 1;
 * a run at this depth starts no follow-up of its own.
 */
export const MAX_FOLLOW_UP_DEPTH = 3;

/**
 * The jobs to run after a run that ended with `status`, each once, in the order written
 * (`onFailure` or `onSuccess`, then `onCompletion`). A skipped run made no check: none follow.
 */
export function followUpsAfter(followUps: FollowUps | undefined, status: RunStatus): string[] {
  if (!followUps || status === 'skipped') return [];
  const first = status === 'up' || status === 'degraded' ? followUps.onSuccess : followUps.onFailure;
  return [...new Set([...first, ...followUps.onCompletion])];
}
