import { RateLimiterMemory, RateLimiterRes } from 'rate-limiter-flexible';
import type { RateDecision, RateLimiter } from '../../app/ports/index.js';
import type { RequestKind } from '../../domain/access.js';

/** Requests per caller and kind in each window of `WINDOW_SECONDS`. */
export interface RateLimits {
  /** Reads (GET) per minute per caller; 0: unlimited. */
  readonly read: number;
  /** Writes (POST, PUT, DELETE) per minute per caller; 0: unlimited. */
  readonly write: number;
}

const WINDOW_SECONDS = 60;

/**
 * `RateLimiter` over rate-limiter-flexible's `RateLimiterMemory`: each caller has `limit` points per
 * 60-second window that starts with its first request; the window's end is the `Retry-After`.
 * In memory, so per instance. Keys expire with their window, so the map holds only recent callers.
 */
export class MemoryRateLimiter implements RateLimiter {
  readonly #limiters: Readonly<Record<RequestKind, RateLimiterMemory | undefined>>;

  constructor(limits: RateLimits) {
    const make = (points: number) => (points > 0 ? new RateLimiterMemory({ points, duration: WINDOW_SECONDS, keyPrefix: '' }) : undefined);
    this.#limiters = { read: make(limits.read), write: make(limits.write) };
  }

  async take(caller: string, kind: RequestKind): Promise<RateDecision> {
    const limiter = this.#limiters[kind];
    if (!limiter) return { allowed: true };
    try {
      await limiter.consume(caller);
      return { allowed: true };
    } catch (rejection) {
      // The library rejects with a RateLimiterRes when the budget is spent; anything else is a fault.
      if (rejection instanceof RateLimiterRes) return { allowed: false, retryAfterMs: rejection.msBeforeNext };
      throw rejection;
    }
  }
}
