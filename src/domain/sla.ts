import { latencyQuantile } from './latency.js';
import { EMPTY_COUNTS, countedRuns, mergeCounts, type BucketCounts } from './rollup.js';

/** The SLA windows: the last 1 or 7 days in hours, the last 30 or 90 days in calendar days. */
export const UPTIME_WINDOWS = ['1d', '7d', '30d', '90d'] as const;
export type UptimeWindow = (typeof UPTIME_WINDOWS)[number];

/** The longest `from`-`to` range of an SLA query, in days: the rollups' retention. */
export const MAX_SLA_RANGE_DAYS = 400;

/**
 * Uptime in percent: good runs (up + degraded) ÷ (good + bad runs (down + error)), maintenance and
 * no-data excluded, rounded DOWN to 3 decimals (99.9996 % is 99.999 %, never 100 %). `null` when
 * there is no good or bad run.
 */
export function uptimePct(good: number, bad: number): number | null {
  const total = good + bad;
  if (total === 0) return null;
  // In integers, so the rounding is exact: thousandths of a percent.
  return Math.floor((good * 100_000) / total) / 1_000;
}

/** The figures of a set of buckets (several hours, days or locations), as the API shows them. */
export interface UptimeFigures {
  readonly up: number;
  readonly degraded: number;
  /** Bad runs: `down` and `error`. */
  readonly down: number;
  /** Runs in a maintenance window (excluded from the uptime). */
  readonly maintenance: number;
  /** See `uptimePct`; `null` without good or bad runs. */
  readonly uptimePct: number | null;
  /** Response-time percentiles in ms (bucket upper bounds, see `latencyQuantile`); `null` without a response time. */
  readonly p50Ms: number | null;
  readonly p95Ms: number | null;
  /** Incidents started (see `trackIncident`). */
  readonly incidents: number;
  /** Time in incidents, in ms (see `trackIncident`). */
  readonly incidentMs: number;
}

/** The figures of `buckets` added together. */
export function figuresOf(buckets: Iterable<BucketCounts>): UptimeFigures {
  let sum = EMPTY_COUNTS;
  for (const b of buckets) sum = mergeCounts(sum, b);
  return figures(sum);
}

/** The figures of one bucket's counts. */
export function figures(c: BucketCounts): UptimeFigures {
  return {
    up: c.up,
    degraded: c.degraded,
    down: c.down,
    maintenance: c.maintenance,
    uptimePct: uptimePct(c.up + c.degraded, c.down),
    p50Ms: latencyQuantile(c.latency, 0.5),
    p95Ms: latencyQuantile(c.latency, 0.95),
    incidents: c.incidents,
    incidentMs: c.incidentMs,
  };
}

/** Whether counts hold no counted run (the time they cover is "no data"). */
export const isNoData = (c: BucketCounts): boolean => countedRuns(c) === 0;
