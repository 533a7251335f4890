import type { ClaimHolder, OccurrenceClaims } from '../../app/ports/index.js';

/** Occurrence claims in memory: the fake of ClaimsTable, and what one instance without storage uses. */
export class MemoryClaims implements OccurrenceClaims {
  readonly #claims = new Map<string, { holder: ClaimHolder; etag: number }>();
  #version = 0;

  claim(runId: string, holder: ClaimHolder): ReturnType<OccurrenceClaims['claim']> {
    const found = this.#claims.get(runId);
    if (found) return Promise.resolve({ claimed: false, holder: found.holder, etag: String(found.etag) });
    this.#claims.set(runId, { holder, etag: ++this.#version });
    return Promise.resolve({ claimed: true });
  }

  takeOver(runId: string, holder: ClaimHolder, etag: string): Promise<boolean> {
    const found = this.#claims.get(runId);
    if (!found || String(found.etag) !== etag) return Promise.resolve(false);
    this.#claims.set(runId, { holder, etag: ++this.#version });
    return Promise.resolve(true);
  }
}
