/** Time, as a port: the core never reads the clock itself. */
export interface Clock {
  /** The current instant, epoch milliseconds. */
  now(): number;
  /**
   * Resolves at the instant `at` (epoch ms), at once if it has passed. Rejects with the signal's
   * reason if `signal` aborts first.
   */
  sleepUntil(at: number, signal?: AbortSignal): Promise<void>;
}
