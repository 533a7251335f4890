/** What `Deadline.race` settles with when the work did not end in time. */
export const LATE: unique symbol = Symbol('late');

/** One instant shared by several pieces of work, e.g. every part of a health report. */
export interface Deadline {
  /** `work()`'s value, or `LATE` if the deadline comes first (a throw or rejection is passed on as is). */
  race<T>(work: () => Promise<T> | T): Promise<T | typeof LATE>;
  /** Releases the timer; call it when every race has settled. */
  cancel(): void;
}

/**
 * A deadline that falls when `wait` settles (resolved or rejected). The caller owns the timer:
 * `wait` sleeps on its clock or timers until the instant and stops when `signal` aborts, which
 * `cancel` does; so this stays pure. Work that ends after the deadline still runs its own
 * continuations (a late read may fill a cache for the next caller).
 */
export function deadlineOf(wait: (signal: AbortSignal) => Promise<unknown>): Deadline {
  const timer = new AbortController();
  const due: Promise<typeof LATE> = wait(timer.signal).then(
    () => LATE,
    () => LATE,
  );
  return {
    race: <T>(work: () => Promise<T> | T): Promise<T | typeof LATE> => Promise.race([Promise.resolve().then(work), due]),
    cancel: () => timer.abort(),
  };
}
