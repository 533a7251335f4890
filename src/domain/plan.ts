import { runIdFor } from './run.js';
import { nextOccurrence, previousOccurrence, type Schedule } from './schedule.js';

/** One planned run of a job: the instant it is due and whether it is a catch-up after downtime. */
export interface Occurrence {
  readonly job: string;
  /** The scheduled instant, epoch ms. */
  readonly scheduledAt: number;
  /**
   * True for the one run that stands for occurrences missed before this tick (downtime, a tick that
   * did not run): its instant is before the tick's own, or earlier occurrences were dropped for it.
   * The tick's own instant, started a few milliseconds late as every timer is, is not a catch-up.
   */
  readonly catchUp: boolean;
}

/** One job's cursor, when some of its occurrences were started but their runs not recorded yet. */
export interface JobCursor {
  /** Occurrences up to and including this instant have been planned, epoch ms. */
  readonly plannedUntil: number;
  /**
   * Scheduled instants (epoch ms) of occurrences started whose run was not recorded yet. One left
   * over after the process died is caught up by a later tick (`planTick`'s `running`, `recorded`).
   */
  readonly started?: readonly number[];
}

/**
 * What the dispatcher remembers between ticks, per job: a bare number is the instant up to which its
 * occurrences have been planned (epoch ms; the usual case, and what earlier versions stored); a
 * `JobCursor` also names the occurrences in flight. Planning resumes strictly after `plannedUntil`,
 * so no occurrence is planned twice.
 */
export type Cursors = Readonly<Record<string, number | JobCursor>>;

/** The instant up to which a cursor has planned, epoch ms. */
export const plannedUntil = (cursor: number | JobCursor): number => (typeof cursor === 'number' ? cursor : cursor.plannedUntil);

/**
 * Cursors to persist: `planned` (job → planned until) with the occurrences now `started` and not yet
 * recorded. Jobs without a planned cursor are left out. Pure.
 */
export function withStarted(planned: Readonly<Record<string, number>>, started: Iterable<{ readonly job: string; readonly scheduledAt: number }>): Cursors {
  const cursors: Record<string, number | JobCursor> = { ...planned };
  for (const { job, scheduledAt } of started) {
    const cursor = cursors[job];
    if (cursor === undefined) continue;
    cursors[job] = typeof cursor === 'number' ? { plannedUntil: cursor, started: [scheduledAt] } : { ...cursor, started: [...(cursor.started ?? []), scheduledAt] };
  }
  return cursors;
}

/**
 * The started occurrences in `cursors` that are not running in this process (`running`: run ids):
 * their process died before recording them, unless the run store has them. Pure.
 */
export function leftovers(cursors: Cursors, running: ReadonlySet<string>): Array<{ job: string; scheduledAt: number; runId: string }> {
  const found: Array<{ job: string; scheduledAt: number; runId: string }> = [];
  for (const [job, cursor] of Object.entries(cursors)) {
    if (typeof cursor === 'number') continue;
    for (const scheduledAt of cursor.started ?? []) {
      const runId = runIdFor(job, scheduledAt);
      if (!running.has(runId)) found.push({ job, scheduledAt, runId });
    }
  }
  return found;
}

/**
 * Finds a schedule's occurrences: `nextOccurrence` / `previousOccurrence` (the default), or a memo
 * of them that gives the same answers (app/scheduleMemo.ts), so a tick does not walk croner for
 * every job. Both in epoch ms.
 */
export interface OccurrenceFinder {
  /** The first occurrence strictly after `after`, or `undefined` if the schedule never fires again. */
  next(schedule: Schedule, after: number): number | undefined;
  /** The latest occurrence at or before `atOrBefore`, or `undefined` if there is none. */
  previous(schedule: Schedule, atOrBefore: number): number | undefined;
}

const PURE: OccurrenceFinder = { next: nextOccurrence, previous: previousOccurrence };

export interface PlanInput {
  readonly jobs: ReadonlyArray<{ readonly name: string; readonly schedule: Schedule }>;
  readonly cursors: Cursors;
  /** The current instant, epoch ms. */
  readonly now: number;
  /** The instant this tick was due (its timer's schedule), epoch ms. Default: `now`. */
  readonly tickAt?: number;
  /** Plan every occurrence up to and including this instant (normally the next tick), epoch ms. */
  readonly horizon: number;
  /**
   * How far back a job never planned before (new, or state lost) looks for a just-missed occurrence,
   * in ms. One tick period is right: an occurrence on the tick boundary itself is not lost.
   */
  readonly lookbackMs: number;
  /** Upper bound of occurrences planned per job per tick (protects against a per-second job and a long tick). */
  readonly maxPerJob?: number;
  /** Run ids of the occurrences running in this process: their `started` entries are not left over. Default none. */
  readonly running?: ReadonlySet<string>;
  /** Run ids of left-over started occurrences whose run the store has: not caught up. Default none. */
  readonly recorded?: ReadonlySet<string>;
  /** How occurrences are found. Default `nextOccurrence` / `previousOccurrence`. */
  readonly occurrences?: OccurrenceFinder;
}

export interface Plan {
  readonly occurrences: Occurrence[];
  /**
   * How far each job is planned, to persist (with the occurrences in flight: `withStarted`) BEFORE
   * starting the occurrences: jobs no longer present are dropped.
   */
  readonly cursors: Record<string, number>;
}

/**
 * Plans a dispatcher tick. Pure: `now` and the state are arguments.
 *
 * For each job: of the occurrences in (cursor, now] (already due: the tick's own instant, or missed
 * by downtime or a late tick) only the latest is kept, to start at once — like the Functions timer's
 * `isPastDue`, and a catch-up when it stands for occurrences missed (dropped, or started and never
 * recorded); without one, an occurrence started but never recorded (its process died; neither
 * `running` nor `recorded`) is caught up once, under its own run id; every occurrence in
 * (now, horizon] is planned to start at its own instant. The new cursor is the horizon.
 */
export function planTick(input: PlanInput): Plan {
  const { jobs, cursors, now, horizon, lookbackMs, running = new Set<string>(), recorded = new Set<string>(), occurrences: find = PURE } = input;
  const tickAt = input.tickAt ?? now;
  const maxPerJob = input.maxPerJob ?? 1_000;
  const occurrences: Occurrence[] = [];
  const next: Record<string, number> = {};
  for (const { name, schedule } of jobs) {
    const entry = cursors[name];
    const stored = entry === undefined ? undefined : plannedUntil(entry);
    const cursor = Math.min(stored ?? now - lookbackMs, horizon);
    const due = find.previous(schedule, now);
    const lost = entry === undefined || typeof entry === 'number' ? [] : (entry.started ?? []).filter((at) => !running.has(runIdFor(name, at)) && !recorded.has(runIdFor(name, at)));
    if (due !== undefined && due > cursor) {
      // A job planned before whose first occurrence after its cursor is not this one had some dropped;
      // one started and never recorded (lost) is dropped too: this run stands for them, as a catch-up.
      const dropped = stored !== undefined && (find.next(schedule, cursor) ?? due) < due;
      occurrences.push({ job: name, scheduledAt: due, catchUp: due < tickAt || dropped || lost.length > 0 });
    } else if (lost.length > 0) {
      occurrences.push({ job: name, scheduledAt: Math.max(...lost), catchUp: true });
    }
    let plannedUntilNow = horizon;
    let at = find.next(schedule, Math.max(cursor, now));
    for (let count = 0; at !== undefined && at <= horizon; count++) {
      if (count === maxPerJob) {
        plannedUntilNow = at - 1; // resume from here next tick rather than silently dropping occurrences
        break;
      }
      occurrences.push({ job: name, scheduledAt: at, catchUp: false });
      at = find.next(schedule, at);
    }
    next[name] = Math.max(cursor, plannedUntilNow);
  }
  occurrences.sort((a, b) => a.scheduledAt - b.scheduledAt);
  return { occurrences, cursors: next };
}
