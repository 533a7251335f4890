import type { CompactionReport, RollupQuery, RollupStore } from '../../app/ports/rollups.js';
import { bucketKey, mergeAll, mergeBuckets, type RollupBucket } from '../../domain/rollup.js';

/**
 * Rollups in process memory (the memory store's, and the fake's): one merged bucket per key, so
 * there is nothing to compact. Bounded: past `maxBuckets`, the oldest hours go first, then the
 * oldest days.
 */
export class MemoryRollups implements RollupStore {
  readonly #buckets = new Map<string, RollupBucket>();
  readonly #max: number;

  /** `maxBuckets`: buckets kept at most (about 300 bytes each). Default 200 000. */
  constructor(maxBuckets = 200_000) {
    this.#max = maxBuckets;
  }

  async addRollups(deltas: readonly RollupBucket[]): Promise<void> {
    for (const delta of deltas) {
      const key = bucketKey(delta);
      const seen = this.#buckets.get(key);
      this.#buckets.set(key, seen ? mergeBuckets(seen, delta) : delta);
    }
    if (this.#buckets.size > this.#max + (this.#max >> 4)) this.#trim();
  }

  async listRollups(query: RollupQuery): Promise<RollupBucket[]> {
    const from = new Date(query.from).toISOString();
    const to = new Date(query.to).toISOString();
    const found = [...this.#buckets.values()].filter((b) => b.job === query.job && b.span === query.span && b.start >= from && b.start < to);
    return mergeAll(found);
  }

  async compactRollups(_closedBefore: number, deleteBefore: number, max: number): Promise<CompactionReport> {
    const cutoff = new Date(deleteBefore).toISOString();
    let deleted = 0;
    for (const [key, bucket] of this.#buckets) {
      if (deleted >= max) break;
      if (bucket.end < cutoff) {
        this.#buckets.delete(key);
        deleted++;
      }
    }
    return { compacted: 0, deleted };
  }

  /** Drops the oldest buckets (hours before days) down to `maxBuckets`. */
  #trim(): void {
    const order = [...this.#buckets.entries()].sort(([, a], [, b]) => (a.span === b.span ? (a.start < b.start ? -1 : 1) : a.span === 'hour' ? -1 : 1));
    for (const [key] of order.slice(0, this.#buckets.size - this.#max)) this.#buckets.delete(key);
  }
}
