import { createRequire } from 'node:module';
import type * as Flexible from 'rate-limiter-flexible';
import type { RateLimiterMemory } from 'rate-limiter-flexible';
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

// Loaded on the first API request: a host that only runs checks never pays for the library.
const require = createRequire(import.meta.url);
const flexible = (): typeof Flexible => require('rate-limiter-flexible') as typeof Flexible;

/**
 * `RateLimiter` over rate-limiter-flexible's `RateLimiterMemory`: each caller has `limit` points per
 * 60-second window that starts with its first request; the window's end is the `Retry-After`.
 * In memory, so per instance. Keys expire with their window, so the map holds only recent callers.
 */
export class MemoryRateLimiter implements RateLimiter {
  readonly #limits: RateLimits;
  #limiters: Readonly<Record<RequestKind, RateLimiterMemory | undefined>> | undefined;

  constructor(limits: RateLimits) {
    this.#limits = limits;
  }

  async take(caller: string, kind: RequestKind): Promise<RateDecision> {
    const limiter = this.#limitersNow()[kind];
    if (!limiter) return { allowed: true };
    try {
      await limiter.consume(caller);
      return { allowed: true };
    } catch (rejection) {
      // The library rejects with a RateLimiterRes when the budget is spent; anything else is a fault.
      if (rejection instanceof flexible().RateLimiterRes) return { allowed: false, retryAfterMs: rejection.msBeforeNext };
      throw rejection;
    }
  }

  /** The limiters, built on the first request. */
  #limitersNow(): Readonly<Record<RequestKind, RateLimiterMemory | undefined>> {
    if (this.#limiters) return this.#limiters;
    const { RateLimiterMemory } = flexible();
    const make = (points: number) => (points > 0 ? new RateLimiterMemory({ points, duration: WINDOW_SECONDS, keyPrefix: '' }) : undefined);
    return (this.#limiters = { read: make(this.#limits.read), write: make(this.#limits.write) });
  }
}
