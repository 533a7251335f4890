/**
 * A response-time summary that merges by adding: a fixed log-scale histogram. Bucket `i` holds the
 * times in (2^((i-1)/4), 2^(i/4)] ms (bucket 0: 1 ms or less; the last one: everything longer), so a
 * percentile read from it is at most 19 % above the true value, whatever the range, and two
 * summaries (two instances, two hours) merge exactly. Counts are kept sparse: `{ [bucket]: runs }`.
 */
export interface LatencySummary {
  /** Runs per bucket index (buckets with no run are absent). */
  readonly buckets: Readonly<Record<number, number>>;
  /** Runs summarised. */
  readonly count: number;
  /** Sum of the response times, in ms (for a mean). */
  readonly sumMs: number;
}

/** Buckets per doubling of the time. */
const PER_DOUBLING = 4;
/** The last bucket's index: 2^(72/4) ms is about 262 s, longer than any check's timeout. */
const LAST = 72;

export const EMPTY_LATENCY: LatencySummary = { buckets: {}, count: 0, sumMs: 0 };

/** The bucket index of a response time in ms (negative or non-finite times count as 0 ms). */
export function latencyBucket(ms: number): number {
  if (!(ms > 1)) return 0;
  return Math.min(LAST, Math.ceil(PER_DOUBLING * Math.log2(ms) - 1e-9));
}

/** The upper bound of bucket `i`, in ms (rounded to 0.1 ms). */
export const bucketUpperMs = (i: number): number => Math.round(10 * 2 ** (i / PER_DOUBLING)) / 10;

/** `summary` with one more response time, in ms. */
export function addLatency(summary: LatencySummary, ms: number): LatencySummary {
  const i = latencyBucket(ms);
  return { buckets: { ...summary.buckets, [i]: (summary.buckets[i] ?? 0) + 1 }, count: summary.count + 1, sumMs: summary.sumMs + Math.max(0, ms) };
}

/** Two summaries as one. */
export function mergeLatency(a: LatencySummary, b: LatencySummary): LatencySummary {
  if (b.count === 0) return a;
  if (a.count === 0) return b;
  const buckets: Record<number, number> = { ...a.buckets };
  for (const [i, n] of Object.entries(b.buckets)) buckets[Number(i)] = (buckets[Number(i)] ?? 0) + n;
  return { buckets, count: a.count + b.count, sumMs: a.sumMs + b.sumMs };
}

/**
 * The `q` quantile (0 < q ≤ 1, e.g. 0.95) as the upper bound of the bucket that holds it, in ms;
 * `null` when nothing was summarised. The nearest-rank rule: the smallest bucket bound with at least
 * `ceil(q × count)` runs at or below it.
 */
export function latencyQuantile(summary: LatencySummary, q: number): number | null {
  if (summary.count === 0) return null;
  const rank = Math.max(1, Math.ceil(q * summary.count));
  let seen = 0;
  const indices = Object.keys(summary.buckets).map(Number).sort((x, y) => x - y);
  for (const i of indices) {
    seen += summary.buckets[i] ?? 0;
    if (seen >= rank) return bucketUpperMs(i);
  }
  return bucketUpperMs(indices[indices.length - 1] ?? 0);
}

/** The summary as compact text `i:n,i:n` (a Table Storage property), and back. */
export const latencyText = (summary: LatencySummary): string =>
  Object.entries(summary.buckets)
    .map(([i, n]) => `${i}:${n}`)
    .join(',');

/** Parses `latencyText` output with its count and sum; bad parts are skipped. */
export function parseLatency(text: string, sumMs: number): LatencySummary {
  const buckets: Record<number, number> = {};
  let count = 0;
  for (const part of text.split(',')) {
    const [i, n] = part.split(':').map(Number);
    if (Number.isInteger(i) && Number.isInteger(n) && (n as number) > 0) {
      buckets[i as number] = (buckets[i as number] ?? 0) + (n as number);
      count += n as number;
    }
  }
  return { buckets, count, sumMs };
}
