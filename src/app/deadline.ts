import type { Clock } from './ports/index.js';

/** What `Deadline.race` settles with when the work did not end in time. */
export const LATE: unique symbol = Symbol('late');

/** One instant shared by several pieces of work, e.g. every part of a health report. */
export interface Deadline {
  /** `work()`'s value, or `LATE` if the deadline comes first (a throw or rejection is passed on as is). */
  race<T>(work: () => Promise<T> | T): Promise<T | typeof LATE>;
  /** Releases the timer; call it when every race has settled. */
  cancel(): void;
}

/** A deadline `ms` milliseconds from `clock.now()`. */
export function deadlineIn(clock: Clock, ms: number): Deadline {
  const timer = new AbortController();
  const due: Promise<typeof LATE> = clock.sleepUntil(clock.now() + ms, timer.signal).then(
    () => LATE,
    () => LATE,
  );
  return {
    race: <T>(work: () => Promise<T> | T): Promise<T | typeof LATE> => Promise.race([Promise.resolve().then(work), due]),
    cancel: () => timer.abort(),
  };
}
