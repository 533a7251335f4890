import type { RequestKind } from '../../domain/access.js';

/** What a rate limiter decided about one request. */
export type RateDecision =
  | { readonly allowed: true }
  | {
      readonly allowed: false;
      /** How long until the caller's budget has room again, in ms. */
      readonly retryAfterMs: number;
    };

/**
 * Per-caller request budgets, reads and writes counted separately. State is per instance (in
 * memory): with N instances a caller may get up to N times the budget.
 */
export interface RateLimiter {
  /** Takes one request of `kind` from `caller`'s budget (`caller` is an opaque key, e.g. `address:203.0.113.9`). */
  take(caller: string, kind: RequestKind): Promise<RateDecision>;
}
