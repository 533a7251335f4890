import type { Run } from './run.js';
import { nextOccurrence, previousOccurrence, type Schedule } from './schedule.js';

/** What happens to a job's checks during a window: they run (marked), or their occurrences are skipped. */
export type MaintenanceChecks = 'run' | 'pause';

/**
 * A maintenance window of the jobs file (`maintenance[]`), compiled: open for `durationMs` after
 * each occurrence of `schedule`, for the jobs it selects by name (`jobs`) or by tags (`tags`).
 */
export interface MaintenanceWindow {
  readonly name: string;
  /** An NCRONTAB schedule in the window's time zone: when each window opens. */
  readonly schedule: Schedule;
  /** How long each window stays open, in milliseconds (> 0). */
  readonly durationMs: number;
  /** Default `run`. */
  readonly checks: MaintenanceChecks;
  /** Job names (compared ignoring case); absent when the window selects by `tags`. */
  readonly jobs?: readonly string[];
  /** Tags a job must all have, with these values; absent when the window selects by `jobs`. */
  readonly tags?: Readonly<Record<string, string>>;
}

/** A window open at some instant: which one, from when to when (epoch ms, end exclusive), and what it does. */
export interface OpenWindow {
  readonly name: string;
  readonly start: number;
  readonly end: number;
  readonly checks: MaintenanceChecks;
}

/** Whether `window` selects the job: by name (ignoring case), or by all of its tags. */
export function windowSelects(window: MaintenanceWindow, job: { readonly name: string; readonly tags: Readonly<Record<string, string>> }): boolean {
  if (window.jobs) return window.jobs.some((name) => name.toLowerCase() === job.name.toLowerCase());
  const tags = Object.entries(window.tags ?? {});
  return tags.length > 0 && tags.every(([key, value]) => job.tags[key] === value);
}

/**
 * The window's opening that covers `at` (epoch ms), if any: the latest occurrence at or before `at`
 * when `at` is less than `durationMs` after it. (An earlier occurrence cannot cover `at` when the
 * latest does not: every opening lasts as long.)
 *
 * Memoised per window: the answer holds from that occurrence until the next one (or the opening's
 * end), so a run or a job listing asks croner (about a millisecond a walk) only when it changes.
 */
export function openingAt(window: MaintenanceWindow, at: number): OpenWindow | undefined {
  const known = answers.get(window);
  if (known && at >= known.from && at < known.until) return known.open;
  const start = previousOccurrence(window.schedule, at);
  const next = nextOccurrence(window.schedule, at) ?? Number.POSITIVE_INFINITY;
  const answer =
    start !== undefined && at < start + window.durationMs
      ? { from: start, until: Math.min(start + window.durationMs, next), open: { name: window.name, start, end: start + window.durationMs, checks: window.checks } }
      : { from: start === undefined ? Number.NEGATIVE_INFINITY : start + window.durationMs, until: next, open: undefined };
  answers.set(window, answer);
  return answer.open;
}

/** The last answer of `openingAt` per window, valid for instants in [from, until). */
const answers = new WeakMap<MaintenanceWindow, { from: number; until: number; open: OpenWindow | undefined }>();

/**
 * The maintenance a job is in at `at` (epoch ms), among the windows that select it (`Job.maintenance`);
 * `undefined` when none is open. With several open, `pause` wins over `run`, then the one ending last.
 */
export function activeMaintenance(windows: readonly MaintenanceWindow[] | undefined, at: number): OpenWindow | undefined {
  let found: OpenWindow | undefined;
  for (const window of windows ?? []) {
    const open = openingAt(window, at);
    if (!open) continue;
    const better = !found || (open.checks === 'pause' && found.checks === 'run') || (open.checks === found.checks && open.end > found.end);
    if (better) found = open;
  }
  return found;
}

/**
 * Whether a run must not count for alerts: it fell in a maintenance window (it ran and is marked
 * `maintenance: true`, or its occurrence was paused: `skipped` with kind `maintenance`). Alerting
 * leaves the alert state as it is for such a run: no trigger, no reminder, no resolution.
 */
export function suppressesAlerts(run: Pick<Run, 'maintenance' | 'error'>): boolean {
  return run.maintenance === true || run.error?.kind === 'maintenance';
}
