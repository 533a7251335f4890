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

  deleteBefore(before: number, max: number): Promise<number> {
    // Whole UTC days, as ClaimsTable drops them: `yyyy-mm-dd` strings compare as the days do.
    const day = new Date(before).toISOString().slice(0, 10);
    let deleted = 0;
    for (const runId of this.#claims.keys()) {
      if (deleted >= max) break;
      if (dayOf(runId) < day) {
        this.#claims.delete(runId);
        deleted++;
      }
    }
    return Promise.resolve(deleted);
  }
}

/** The day (`yyyy-mm-dd`) of a claim's run id `job@2026-01-02T03:04:05.000Z` (with `|location` after it or not). */
const dayOf = (runId: string): string => {
  const at = runId.lastIndexOf('@');
  return runId.slice(at + 1, at + 11);
};
