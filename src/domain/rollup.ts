import { HOUR_MS, hourStart, type Period } from './calendar.js';
import { EMPTY_LATENCY, addLatency, mergeLatency, type LatencySummary } from './latency.js';
import type { Run } from './run.js';

/** Rollup buckets are kept this many days, whatever the run history's retention (docs/status-page.md). */
export const ROLLUP_RETENTION_DAYS = 400;

/** A bucket's length: a UTC hour, or a calendar day of the status time zone (23 to 25 hours). */
export type BucketSpan = 'hour' | 'day';

/** How a run counts in a rollup (see `classify`); `undefined`: not counted. */
export type RunClass = 'up' | 'degraded' | 'down' | 'maintenance';

/**
 * The runs of one job at one location in one hour or day, by class, with their response times.
 * Buckets merge by adding (`mergeBuckets`): partial buckets written by several instances, or the
 * hours of a day, make one. A bucket with no run is "no data" (it is usually absent).
 */
export interface RollupBucket {
  readonly job: string;
  /** Where the runs ran (`PULSECHECK_RUN_LOCATION`). */
  readonly location: string;
  readonly span: BucketSpan;
  /** ISO 8601 instant the bucket starts: a UTC hour, or local midnight in the status time zone. */
  readonly start: string;
  /** ISO 8601 instant the bucket ends (exclusive). */
  readonly end: string;
  /** Runs with status `up` (not in maintenance). */
  readonly up: number;
  /** Runs with status `degraded` (not in maintenance). */
  readonly degraded: number;
  /** Runs with status `down` or `error` (not in maintenance). */
  readonly down: number;
  /** Runs with `maintenance: true`, whatever their status. */
  readonly maintenance: number;
  /** Response times (the final attempt's `timings.total`) of the up, degraded and down runs that made a request. */
  readonly latency: LatencySummary;
  /** Sum of `durationMs` (retries included) of the up, degraded and down runs, in ms. */
  readonly durationMs: number;
  /** Incidents that started in the bucket: bad runs following a good run or none (see `IncidentTracker`). */
  readonly incidents: number;
  /** Time spent in incidents observed in the bucket, in ms (see `IncidentTracker`). */
  readonly incidentMs: number;
}

/** The counts of a bucket, without its identity. */
export type BucketCounts = Omit<RollupBucket, 'job' | 'location' | 'span' | 'start' | 'end'>;

export const EMPTY_COUNTS: BucketCounts = { up: 0, degraded: 0, down: 0, maintenance: 0, latency: EMPTY_LATENCY, durationMs: 0, incidents: 0, incidentMs: 0 };

/**
 * How a run counts: `maintenance` when it fell in a maintenance window (whatever its status), else
 * `up`, `degraded`, or `down` (for `down` and `error`); other `skipped` runs are not counted.
 */
export function classify(run: Pick<Run, 'status' | 'maintenance'>): RunClass | undefined {
  if (run.maintenance === true) return 'maintenance';
  switch (run.status) {
    case 'up':
    case 'degraded':
      return run.status;
    case 'down':
    case 'error':
      return 'down';
    default:
      return undefined;
  }
}

/** What the incident tracker adds to a run's buckets (see `IncidentTracker`). */
export interface IncidentPart {
  readonly incidents: number;
  readonly incidentMs: number;
}

const NO_INCIDENT: IncidentPart = { incidents: 0, incidentMs: 0 };

/** `counts` with one more run of class `cls`. `incident`: its incident part (default none). Built in one object: every recorded run adds one. */
export function addRun(counts: BucketCounts, run: Pick<Run, 'durationMs' | 'timings'>, cls: RunClass, incident: IncidentPart = NO_INCIDENT): BucketCounts {
  // A run in maintenance is counted, not measured.
  const measured = cls !== 'maintenance';
  return {
    up: counts.up + (cls === 'up' ? 1 : 0),
    degraded: counts.degraded + (cls === 'degraded' ? 1 : 0),
    down: counts.down + (cls === 'down' ? 1 : 0),
    maintenance: counts.maintenance + (measured ? 0 : 1),
    latency: measured && run.timings ? addLatency(counts.latency, run.timings.total) : counts.latency,
    durationMs: counts.durationMs + (measured ? run.durationMs : 0),
    incidents: counts.incidents + incident.incidents,
    incidentMs: counts.incidentMs + incident.incidentMs,
  };
}

/** The counts of two buckets (or partial buckets) added. */
export function mergeCounts(a: BucketCounts, b: BucketCounts): BucketCounts {
  return {
    up: a.up + b.up,
    degraded: a.degraded + b.degraded,
    down: a.down + b.down,
    maintenance: a.maintenance + b.maintenance,
    latency: mergeLatency(a.latency, b.latency),
    durationMs: a.durationMs + b.durationMs,
    incidents: a.incidents + b.incidents,
    incidentMs: a.incidentMs + b.incidentMs,
  };
}

/** Two buckets of the same job, location, span and start as one (the identity of `a` is kept). */
export const mergeBuckets = (a: RollupBucket, b: RollupBucket): RollupBucket => ({ ...a, ...mergeCounts(a, b) });

/** Runs counted in a bucket (maintenance included): none means "no data". */
export const countedRuns = (c: BucketCounts): number => c.up + c.degraded + c.down + c.maintenance;

/** The key that identifies a bucket: job, location, span and start. */
export const bucketKey = (b: Pick<RollupBucket, 'job' | 'location' | 'span' | 'start'>): string => `${b.job}\n${b.location}\n${b.span}\n${b.start}`;

/** The edges of the last hour and the last day asked for, as text: the runs of a burst share them. */
const edges = { hour: Number.NaN, hourText: ['', ''] as const as readonly [string, string], day: Number.NaN, dayEnd: Number.NaN, dayText: ['', ''] as const as readonly [string, string] };

/**
 * The hour and the day a run scheduled at `at` (epoch ms) falls in, as buckets holding `counts`
 * (default none); `d` is the day of the status time zone holding `at` (`dayOf`: callers keep it, a
 * day's edges cost a dozen `Intl` calls).
 */
export function bucketsAt(job: string, location: string, at: number, d: Period, counts: BucketCounts = EMPTY_COUNTS): [hour: RollupBucket, day: RollupBucket] {
  const h = hourStart(at);
  if (h !== edges.hour) {
    edges.hour = h;
    edges.hourText = [new Date(h).toISOString(), new Date(h + HOUR_MS).toISOString()];
  }
  if (d.start !== edges.day || d.end !== edges.dayEnd) {
    edges.day = d.start;
    edges.dayEnd = d.end;
    edges.dayText = [new Date(d.start).toISOString(), new Date(d.end).toISOString()];
  }
  const [hourFrom, hourTo] = edges.hourText;
  const [dayFrom, dayTo] = edges.dayText;
  return [
    { job, location, span: 'hour', start: hourFrom, end: hourTo, ...counts },
    { job, location, span: 'day', start: dayFrom, end: dayTo, ...counts },
  ];
}

/**
 * Merges buckets of the same identity (partials) into one each, in order of job, location and start.
 */
export function mergeAll(buckets: Iterable<RollupBucket>): RollupBucket[] {
  const merged = new Map<string, RollupBucket>();
  for (const b of buckets) {
    const key = bucketKey(b);
    const seen = merged.get(key);
    merged.set(key, seen ? mergeBuckets(seen, b) : b);
  }
  return [...merged.values()].sort((a, b) => (a.job < b.job ? -1 : a.job > b.job ? 1 : a.location < b.location ? -1 : a.location > b.location ? 1 : a.start < b.start ? -1 : a.start > b.start ? 1 : 0));
}
