import { HOUR_MS, dateIn, dayOf, hourStart, periodsBetween, type Period } from '../domain/calendar.js';
import { notFound, validationError } from '../domain/errors.js';
import { EMPTY_COUNTS, mergeCounts, type BucketCounts, type BucketSpan } from '../domain/rollup.js';
import { MAX_SLA_RANGE_DAYS, figures, figuresOf, isNoData, type UptimeFigures, type UptimeWindow } from '../domain/sla.js';
import type { Clock, JobCatalog } from './ports/index.js';
import type { RollupStore } from './ports/rollups.js';

export { UPTIME_WINDOWS, type UptimeWindow } from '../domain/sla.js';

/** One bucket of a series: its edges and figures, all locations together. */
export interface SeriesEntry extends UptimeFigures {
  /** ISO 8601 instants, `end` exclusive (the current bucket ends in the future). */
  readonly start: string;
  readonly end: string;
  /** No up, degraded, down or maintenance run in the bucket. */
  readonly noData: boolean;
}

/** One calendar day of the status time zone (`dailySeries`). */
export interface DayEntry extends SeriesEntry {
  /** `YYYY-MM-DD` in the status time zone. */
  readonly date: string;
}

/** A job's figures over a window, all locations together (`uptime`, `sla`). */
export interface JobUptime extends UptimeFigures {
  readonly job: string;
  /** The window, e.g. `30d`, or `null` for `from`/`to`. */
  readonly window: UptimeWindow | null;
  /** ISO 8601: where the first bucket starts, and now (or `to`, if earlier). */
  readonly from: string;
  readonly to: string;
  /** The buckets summed: hours for windows up to 7 days, days beyond. */
  readonly bucket: BucketSpan;
  /** Time of the window in buckets with no counted run, in ms (at bucket granularity; the current bucket up to now). */
  readonly noDataMs: number;
}

export interface UptimeDeps {
  readonly store: RollupStore;
  readonly catalog: JobCatalog;
  readonly clock: Clock;
  /** The IANA zone of the daily buckets (`PULSECHECK_STATUS_TIMEZONE`, default `UTC`). */
  readonly timeZone: string;
}

/** Hourly buckets up to this window length; daily beyond. */
const HOURLY_UP_TO_MS = 7 * 24 * HOUR_MS;
/** Jobs read at once by `sla`. */
const CONCURRENCY = 8;

/**
 * Uptime, SLA and trend figures from the rollups (issue 16): the read side the status page, the SLA
 * route and the stats route share. Figures merge every location of a job. Uptime % is good ÷ (good +
 * bad) runs, rounded down to 3 decimals (`uptimePct`); percentiles come from the buckets' histograms.
 */
export class Uptime {
  readonly #deps: UptimeDeps;

  constructor(deps: UptimeDeps) {
    this.#deps = deps;
  }

  /** The status time zone (the days of `dailySeries`). */
  get timeZone(): string {
    return this.#deps.timeZone;
  }

  /**
   * A job's figures over the last `window`: `1d` and `7d` are the last 24 × N UTC hours, the current
   * one included; `30d` and `90d` the last N calendar days of the status time zone, today included.
   * Does not check that the job exists (a job without rollups has only no-data).
   */
  async uptime(job: string, window: UptimeWindow): Promise<JobUptime> {
    const now = this.#deps.clock.now();
    const days = Number(window.slice(0, -1));
    const span: BucketSpan = days * 24 * HOUR_MS <= HOURLY_UP_TO_MS ? 'hour' : 'day';
    return this.#over(job, span, this.#lastDays(span, days, now), now, window);
  }

  /**
   * A job's last `days` calendar days (of the status time zone), oldest first, today last (so far):
   * per day the runs by class, `uptimePct` (`null` without good or bad runs), p50/p95 in ms,
   * incidents, and `noData`. For the status page's daily bars.
   */
  async dailySeries(job: string, days: number): Promise<DayEntry[]> {
    const now = this.#deps.clock.now();
    const entries = await this.#series(job, 'day', this.#lastDays('day', days, now));
    return entries.map((e) => ({ date: dateIn(Date.parse(e.start), this.#deps.timeZone), ...e }));
  }

  /**
   * The trend of a known job (`GET /api/jobs/{name}/stats`): its `bucket`s over the last `days` days
   * (hours: the last 24 × days hours; days: the last `days` calendar days), oldest first.
   */
  async stats(name: string, days: number, bucket: BucketSpan): Promise<{ job: string; bucket: BucketSpan; timeZone: string; series: SeriesEntry[] }> {
    const job = await this.#job(name);
    const series = await this.#series(job, bucket, this.#lastDays(bucket, days, this.#deps.clock.now()));
    return { job, bucket, timeZone: this.#deps.timeZone, series };
  }

  /**
   * SLA figures (`GET /api/sla`) of one known job or of every job, by name: over `window`, or between
   * `from` and `to` (epoch ms; hours when at most 7 days apart, else days, widened to whole buckets).
   */
  async sla(query: { job?: string; window?: UptimeWindow; from?: number; to?: number }): Promise<JobUptime[]> {
    const now = this.#deps.clock.now();
    const from = query.from ?? now - 30 * 24 * HOUR_MS;
    const to = Math.min(query.to ?? now, now + 1);
    if (!query.window) {
      if (to <= from) throw validationError('the query string', [{ path: 'to', message: 'to must be after from (and from before now)' }]);
      if (to - from > MAX_SLA_RANGE_DAYS * 24 * HOUR_MS) {
        throw validationError('the query string', [{ path: 'from', message: `from must be at most ${MAX_SLA_RANGE_DAYS} days before to (or now): rollups are kept ${MAX_SLA_RANGE_DAYS} days` }]);
      }
    }
    const names = query.job === undefined ? (await this.#deps.catalog.list()).map((j) => j.name).sort() : [await this.#job(query.job)];
    const one = async (job: string): Promise<JobUptime> => {
      if (query.window) return this.uptime(job, query.window);
      const span: BucketSpan = to - from <= HOURLY_UP_TO_MS ? 'hour' : 'day';
      return this.#over(job, span, periodsBetween(span, from, to, this.#deps.timeZone), Math.min(to, now), null);
    };
    const results: JobUptime[] = [];
    for (let i = 0; i < names.length; i += CONCURRENCY) results.push(...(await Promise.all(names.slice(i, i + CONCURRENCY).map(one))));
    return results;
  }

  async #job(name: string): Promise<string> {
    const job = await this.#deps.catalog.get(name);
    if (!job) throw notFound(`job "${name}"`);
    return job.name;
  }

  /** The last `days` days as periods of `span`, the current one last. */
  #lastDays(span: BucketSpan, days: number, now: number): Period[] {
    if (span === 'hour') return periodsBetween('hour', hourStart(now) - (days * 24 - 1) * HOUR_MS, now + 1, this.#deps.timeZone);
    const today = dayOf(now, this.#deps.timeZone);
    const first = periodsBetween('day', today.start - (days - 1) * 24 * HOUR_MS + 12 * HOUR_MS, now + 1, this.#deps.timeZone);
    return first.slice(-days);
  }

  async #over(job: string, span: BucketSpan, periods: Period[], until: number, window: UptimeWindow | null): Promise<JobUptime> {
    const counts = await this.#counts(job, span, periods);
    let noDataMs = 0;
    periods.forEach((p, i) => {
      if (isNoData(counts[i] as BucketCounts)) noDataMs += Math.max(0, Math.min(p.end, until) - p.start);
    });
    const from = new Date(periods[0]?.start ?? until).toISOString();
    return { job, window, from, to: new Date(until).toISOString(), bucket: span, noDataMs, ...figuresOf(counts) };
  }

  async #series(job: string, span: BucketSpan, periods: Period[]): Promise<SeriesEntry[]> {
    const counts = await this.#counts(job, span, periods);
    return periods.map((p, i) => {
      const c = counts[i] as BucketCounts;
      return { start: new Date(p.start).toISOString(), end: new Date(p.end).toISOString(), noData: isNoData(c), ...figures(c) };
    });
  }

  /**
   * The counts of each period, every location's bucket added in. A stored bucket goes to the period
   * holding its start, so days recorded in another time zone still count (on the day they began).
   */
  async #counts(job: string, span: BucketSpan, periods: Period[]): Promise<BucketCounts[]> {
    const counts = periods.map(() => EMPTY_COUNTS);
    const first = periods[0];
    const last = periods[periods.length - 1];
    if (!first || !last) return counts;
    for (const bucket of await this.#deps.store.listRollups({ job, span, from: first.start, to: last.end })) {
      const at = Date.parse(bucket.start);
      const i = periods.findIndex((p) => p.start <= at && at < p.end);
      if (i >= 0) counts[i] = mergeCounts(counts[i] as BucketCounts, bucket);
    }
    return counts;
  }
}
