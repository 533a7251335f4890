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

/**
 * What the dispatcher remembers between ticks: for each job, the instant up to which its occurrences
 * have been planned (epoch ms). Planning resumes strictly after it, so no occurrence is planned twice.
 */
export type Cursors = Readonly<Record<string, number>>;

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
}

export interface Plan {
  readonly occurrences: Occurrence[];
  /** Cursors to persist BEFORE starting the occurrences: jobs no longer present are dropped. */
  readonly cursors: Record<string, number>;
}

/**
 * Plans a dispatcher tick. Pure: `now` and the state are arguments.
 *
 * For each job: of the occurrences in (cursor, now] (already due: the tick's own instant, or missed
 * by downtime or a late tick) only the latest is kept, to start at once — like the Functions timer's
 * `isPastDue`; every occurrence in (now, horizon] is planned to start at its own instant. The new
 * cursor is the horizon.
 */
export function planTick(input: PlanInput): Plan {
  const { jobs, cursors, now, horizon, lookbackMs } = input;
  const tickAt = input.tickAt ?? now;
  const maxPerJob = input.maxPerJob ?? 1_000;
  const occurrences: Occurrence[] = [];
  const next: Record<string, number> = {};
  for (const { name, schedule } of jobs) {
    const stored = cursors[name];
    const cursor = Math.min(stored ?? now - lookbackMs, horizon);
    const due = previousOccurrence(schedule, now);
    if (due !== undefined && due > cursor) {
      // A job planned before whose first occurrence after its cursor is not this one had some dropped.
      const dropped = stored !== undefined && (nextOccurrence(schedule, cursor) ?? due) < due;
      occurrences.push({ job: name, scheduledAt: due, catchUp: due < tickAt || dropped });
    }
    let plannedUntil = horizon;
    let at = nextOccurrence(schedule, Math.max(cursor, now));
    for (let count = 0; at !== undefined && at <= horizon; count++) {
      if (count === maxPerJob) {
        plannedUntil = at - 1; // resume from here next tick rather than silently dropping occurrences
        break;
      }
      occurrences.push({ job: name, scheduledAt: at, catchUp: false });
      at = nextOccurrence(schedule, at);
    }
    next[name] = Math.max(cursor, plannedUntil);
  }
  occurrences.sort((a, b) => a.scheduledAt - b.scheduledAt);
  return { occurrences, cursors: next };
}
