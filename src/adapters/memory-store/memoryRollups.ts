import type { CompactionReport, RollupQuery, RollupStore } from '../../app/ports/rollups.js';
import { bucketKey, mergeAll, type RollupBucket } from '../../domain/rollup.js';

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

/** A bucket as held here: its counts and its latency histogram added to in place. */
interface HeldBucket extends Mutable<Omit<RollupBucket, 'latency'>> {
  readonly latency: { buckets: Record<number, number>; count: number; sumMs: number };
}

/**
 * Rollups in process memory (the memory store's, and the fake's): one merged bucket per key, so
 * there is nothing to compact. Each added run is counted into its held buckets in place (every
 * recorded run adds two deltas: on the check path, a merge must not copy the bucket); reads hand
 * out copies. Bounded: past `maxBuckets`, the oldest hours go first, then the oldest days.
 */
export class MemoryRollups implements RollupStore {
  readonly #buckets = new Map<string, HeldBucket>();
  readonly #max: number;

  /** `maxBuckets`: buckets kept at most (about 300 bytes each). Default 200 000. */
  constructor(maxBuckets = 200_000) {
    this.#max = maxBuckets;
  }

  async addRollups(deltas: readonly RollupBucket[]): Promise<void> {
    for (const delta of deltas) {
      const key = bucketKey(delta);
      const held = this.#buckets.get(key);
      if (held) addInto(held, delta);
      else this.#buckets.set(key, { ...delta, latency: { buckets: { ...delta.latency.buckets }, count: delta.latency.count, sumMs: delta.latency.sumMs } });
    }
    if (this.#buckets.size > this.#max + (this.#max >> 4)) this.#trim();
  }

  async listRollups(query: RollupQuery): Promise<RollupBucket[]> {
    const from = new Date(query.from).toISOString();
    const to = new Date(query.to).toISOString();
    const found: RollupBucket[] = [];
    for (const b of this.#buckets.values()) {
      if (b.job === query.job && b.span === query.span && b.start >= from && b.start < to) found.push({ ...b, latency: { ...b.latency, buckets: { ...b.latency.buckets } } });
    }
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

/** `delta`'s counts added to `held` (the same sums as `mergeBuckets`, without a copy). */
function addInto(held: HeldBucket, delta: RollupBucket): void {
  held.up += delta.up;
  held.degraded += delta.degraded;
  held.down += delta.down;
  held.maintenance += delta.maintenance;
  held.durationMs += delta.durationMs;
  held.incidents += delta.incidents;
  held.incidentMs += delta.incidentMs;
  const { latency } = delta;
  if (latency.count === 0) return;
  for (const i in latency.buckets) {
    const n = latency.buckets[i as unknown as number] as number;
    held.latency.buckets[i as unknown as number] = (held.latency.buckets[i as unknown as number] ?? 0) + n;
  }
  held.latency.count += latency.count;
  held.latency.sumMs += latency.sumMs;
}
