import { setTimeout as sleep } from 'node:timers/promises';

export interface EventuallyOptions {
  /** Give up after this long, in ms. Default 5 000. */
  readonly timeoutMs?: number;
  /** Wait between two tries, in ms. Default 25. */
  readonly intervalMs?: number;
  /** What is awaited, for the timeout's message; a function is called only then (to show the latest state). */
  readonly what?: string | (() => string);
}

/**
 * Polls `fn` until it returns a truthy value, and resolves with that value. A try that throws counts
 * as not yet; the last error is in the timeout's message. Rejects after `timeoutMs`.
 * The one poll-until loop of the tests: for what a test cannot be told about (another process's
 * output, a file watcher, a server's log of requests); wait on a promise where there is one.
 */
export async function eventually<T>(fn: () => T | Promise<T>, options: EventuallyOptions = {}): Promise<Exclude<T, false | null | undefined | 0 | ''>> {
  const { timeoutMs = 5_000, intervalMs = 25, what = 'the condition' } = options;
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await fn();
      if (value) return value as Exclude<T, false | null | undefined | 0 | ''>;
      lastError = undefined;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() >= deadline) {
      const description = typeof what === 'function' ? what() : what;
      const cause = lastError === undefined ? '' : `; last error: ${lastError instanceof Error ? lastError.message : String(lastError)}`;
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${description}${cause}`);
    }
    await sleep(intervalMs);
  }
}
