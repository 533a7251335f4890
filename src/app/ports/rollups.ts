import type { BucketSpan, RollupBucket } from '../../domain/rollup.js';

/** Which buckets to read: one job's, of one span, starting in [`from`, `to`). */
export interface RollupQuery {
  readonly job: string;
  readonly span: BucketSpan;
  /** Epoch ms: buckets starting at or after it. */
  readonly from: number;
  /** Epoch ms: buckets starting before it. */
  readonly to: number;
}

/** What one compaction did. */
export interface CompactionReport {
  /** Buckets whose partial rows were merged into one. */
  readonly compacted: number;
  /** Buckets deleted for being older than the rollup retention. */
  readonly deleted: number;
}

/**
 * Rollups of runs (issue 16): hourly and daily buckets per job and location (`RollupBucket`).
 * Writers never read: `addRollups` stores partial buckets (deltas) that readers merge, so several
 * instances record at once without a read-modify-write race. The singleton retention timer merges the
 * partials of closed buckets into one (`compactRollups`) and deletes old buckets.
 */
export interface RollupStore {
  /**
   * Adds partial buckets: each adds its counts to the bucket of the same job, location, span and
   * start. Never waits for storage (the Table store writes them behind, within a minute, and
   * with `flush()`); never throws for storage faults.
   */
  addRollups(deltas: readonly RollupBucket[]): Promise<void>;
  /** The buckets of the query, partials merged (one per location and start), by location then start. */
  listRollups(query: RollupQuery): Promise<RollupBucket[]>;
  /**
   * Merges the partials of buckets that ended before `closedBefore` (epoch ms) into one stored bucket
   * each, and deletes buckets that ended before `deleteBefore`. Bounded work per call: at most
   * about `max` buckets; call again while `compacted + deleted` reaches `max`.
   */
  compactRollups(closedBefore: number, deleteBefore: number, max: number): Promise<CompactionReport>;
}
