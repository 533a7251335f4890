import { setTimeout as sleep } from 'node:timers/promises';
import { deadlineOf, type LATE } from '../../domain/deadline.js';

/**
 * `work`'s result, or `LATE` after `ms` (work that settles later still runs its own continuations:
 * a late read fills the cache for the next caller). For reads on the check path only: background
 * writes rely on the SDK's request timeout and retries instead. The timer does not keep the process alive.
 */
export async function withinDeadline<T>(work: Promise<T>, ms: number): Promise<T | typeof LATE> {
  const deadline = deadlineOf((signal) => sleep(ms, undefined, { signal, ref: false }));
  try {
    return await deadline.race(() => work);
  } finally {
    deadline.cancel();
  }
}
