import type { OccurrenceFinder } from '../domain/plan.js';
import { nextOccurrence, previousOccurrence, type Schedule } from '../domain/schedule.js';

/** Consecutive occurrences kept per schedule: the last tick's, this tick's and the next. */
const KEPT = 4;
/** Steps walked forward from the last known occurrence before starting afresh (a long pause). */
const MAX_STEPS = 3;

/**
 * `nextOccurrence` / `previousOccurrence` with a memo per schedule object: the last few consecutive
 * occurrences found (no other occurrence lies between them). A tick asks about instants around the
 * same boundary again and again, so a cron job costs one croner walk per occurrence, not several per
 * tick, due or not. Same answers as the pure functions; a reloaded job is a new schedule object, so
 * nothing stale is kept (a WeakMap forgets dropped schedules).
 */
export class ScheduleMemo implements OccurrenceFinder {
  readonly #known = new WeakMap<Schedule, number[]>();

  next(schedule: Schedule, after: number): number | undefined {
    if (schedule.kind === 'every' || schedule.fixed) return nextOccurrence(schedule, after);
    const known = this.#covering(schedule, after);
    return known ? known.find((at) => at > after) : nextOccurrence(schedule, after);
  }

  previous(schedule: Schedule, atOrBefore: number): number | undefined {
    if (schedule.kind === 'every' || schedule.fixed) return previousOccurrence(schedule, atOrBefore);
    const known = this.#covering(schedule, atOrBefore);
    return known ? known.findLast((at) => at <= atOrBefore) : previousOccurrence(schedule, atOrBefore);
  }

  /** Known occurrences with `first <= t < last`, walking forward or starting afresh; `undefined` if the schedule ends. */
  #covering(schedule: Schedule, t: number): number[] | undefined {
    let known = this.#known.get(schedule);
    if (known && t >= (known[0] as number)) {
      for (let steps = 0; t >= (known.at(-1) as number) && steps < MAX_STEPS; steps++) {
        const next = nextOccurrence(schedule, known.at(-1) as number);
        if (next === undefined) return undefined;
        known.push(next);
      }
      if (known.length > KEPT) known.splice(0, known.length - KEPT);
      if (t < (known.at(-1) as number)) return known;
    }
    const previous = previousOccurrence(schedule, t);
    const next = nextOccurrence(schedule, t);
    if (previous === undefined || next === undefined) return undefined;
    known = [previous, next];
    this.#known.set(schedule, known);
    return known;
  }
}
