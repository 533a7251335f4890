/** What `withinDeadline` returns when `work` did not settle in time. */
export const LATE = Symbol('late');

/**
 * `work`'s result, or `LATE` after `ms` (work that settles later still runs its own continuations:
 * a late read fills the cache for the next caller). For reads on the check path only: background
 * writes rely on the SDK's request timeout and retries instead.
 */
export async function withinDeadline<T>(work: Promise<T>, ms: number): Promise<T | typeof LATE> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<typeof LATE>((resolve) => {
    timer = setTimeout(() => resolve(LATE), ms);
    timer.unref();
  });
  try {
    return await Promise.race([work, late]);
  } finally {
    clearTimeout(timer);
  }
}
