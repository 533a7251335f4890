import type { Clock, TokenResult } from './ports/index.js';
import { singleFlight } from './singleFlight.js';

/** Refresh a token this long before it expires at most, in ms (5 minutes). */
const MAX_MARGIN_MS = 300_000;

/**
 * Access tokens (OAuth2, managed identity) kept until shortly before they expire: when 90% of
 * their lifetime has passed, and at most 5 minutes before the end. Concurrent fetches for one key
 * are shared.
 */
export class TokenCache {
  readonly #entries = new Map<string, { readonly token: string; readonly refreshAt: number }>();
  readonly #pending = new Map<string, Promise<TokenResult>>();

  constructor(readonly clock: Clock) {}

  /** The token for `key`: cached, or from `fetch` when there is none, it is due for refresh, or `refresh` is set. */
  async get(key: string, fetch: () => Promise<TokenResult>, refresh = false): Promise<{ ok: true; token: string } | Extract<TokenResult, { ok: false }>> {
    const entry = this.#entries.get(key);
    if (entry && !refresh && this.clock.now() < entry.refreshAt) return { ok: true, token: entry.token };
    const result = await singleFlight(this.#pending, key, async () => {
      const fetched = await fetch();
      if (fetched.ok) {
        const lifetime = Math.max(0, fetched.token.expiresInMs);
        const refreshAt = this.clock.now() + lifetime - Math.min(MAX_MARGIN_MS, lifetime / 10);
        this.#entries.set(key, { token: fetched.token.token, refreshAt });
      }
      return fetched;
    });
    return result.ok ? { ok: true, token: result.token.token } : result;
  }
}
