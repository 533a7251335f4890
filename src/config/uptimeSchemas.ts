import { z } from 'zod';
import { validationError } from '../domain/errors.js';
import type { BucketSpan } from '../domain/rollup.js';
import { MAX_SLA_RANGE_DAYS, UPTIME_WINDOWS, type UptimeWindow } from '../domain/sla.js';
import { describeZodIssue } from './issues.js';
import { jobName } from './jobsSchema.js';

/**
 * Query strings and answers of the SLA and trend routes (issue 16): `GET /api/sla` and
 * `GET /api/jobs/{name}/stats`; `GET /api/openapi.json` is generated from these schemas.
 */

/** Longest stats window, in days (the rollups' retention), and with hourly buckets. */
export const STATS_MAX_DAYS = MAX_SLA_RANGE_DAYS;
export const STATS_MAX_HOURLY_DAYS = 31;

const instant = (what: string) =>
  z.iso
    .datetime({ offset: true, error: 'must be an ISO 8601 instant, e.g. 2026-11-01T00:00:00Z' })
    .transform((text) => Date.parse(text))
    .describe(what);

export const slaQuery = z
  .object({
    window: z.enum(UPTIME_WINDOWS, { error: `must be one of ${UPTIME_WINDOWS.join(', ')}` }).optional().describe('The last 1 or 7 days (in UTC hours) or the last 30 or 90 calendar days, today included. Default `30d`, unless `from` or `to` is given.'),
    job: jobName.optional().describe('Only this job (ignoring case); 404 when unknown. Default: every job.'),
    from: instant(`Instead of \`window\`: the first bucket is the one holding this instant (at most ${MAX_SLA_RANGE_DAYS} days before \`to\`). Default 30 days before \`to\`.`).optional(),
    to: instant('Instead of `window`: the last bucket is the one holding this instant. Default now.').optional(),
  })
  .superRefine((q, ctx) => {
    if (q.window !== undefined && (q.from !== undefined || q.to !== undefined)) {
      ctx.addIssue({ code: 'custom', path: ['window'], message: 'cannot be combined with from and to: give one or the other' });
    }
    if (q.from !== undefined && q.to !== undefined && q.to <= q.from) ctx.addIssue({ code: 'custom', path: ['to'], message: 'must be after from' });
  });

export interface SlaQuery {
  readonly job?: string;
  readonly window?: UptimeWindow;
  readonly from?: number;
  readonly to?: number;
}

/** The known parameters of `query` (others, like a function key's `code`, are ignored). */
const pick = (query: URLSearchParams, names: readonly string[]): Record<string, string> =>
  Object.fromEntries(names.flatMap((name) => (query.has(name) ? [[name, query.get(name) as string]] : [])));

const rejected = (issues: readonly z.core.$ZodIssue[]) => validationError('the query string', issues.map((issue) => describeZodIssue(issue, '', 0)));

/** `?window=&job=&from=&to=` of `GET /api/sla`: `window` is `30d` when neither it nor `from`/`to` is given. */
export function parseSlaQuery(query: URLSearchParams): SlaQuery {
  const parsed = slaQuery.safeParse(pick(query, ['window', 'job', 'from', 'to']));
  if (!parsed.success) throw rejected(parsed.error.issues);
  const { window, job, from, to } = parsed.data;
  return {
    ...(job === undefined ? {} : { job }),
    ...(from === undefined && to === undefined ? { window: window ?? '30d' } : {}),
    ...(from === undefined ? {} : { from }),
    ...(to === undefined ? {} : { to }),
  };
}

export const statsQuery = z
  .object({
    window: z
      .string()
      .regex(/^\d{1,3}d$/, `must be a number of days from 1d to ${STATS_MAX_DAYS}d, e.g. 30d`)
      .transform((text) => Number(text.slice(0, -1)))
      .pipe(z.number().int().min(1, `must be a number of days from 1d to ${STATS_MAX_DAYS}d, e.g. 30d`).max(STATS_MAX_DAYS, `must be a number of days from 1d to ${STATS_MAX_DAYS}d, e.g. 30d`))
      .optional()
      .describe(`The last N days, \`1d\`-\`${STATS_MAX_DAYS}d\` (\`${STATS_MAX_HOURLY_DAYS}d\` at most with \`bucket=1h\`). Default \`30d\`.`),
    bucket: z.enum(['1d', '1h'], { error: 'must be 1d or 1h' }).optional().describe('Days of `PULSECHECK_STATUS_TIMEZONE` (`1d`, default) or UTC hours (`1h`).'),
  })
  .superRefine((q, ctx) => {
    if (q.bucket === '1h' && (q.window ?? 30) > STATS_MAX_HOURLY_DAYS) {
      ctx.addIssue({ code: 'custom', path: ['window'], message: `must be at most ${STATS_MAX_HOURLY_DAYS}d with bucket=1h` });
    }
  });

/** `?window=&bucket=` of `GET /api/jobs/{name}/stats`: 30 days of daily buckets unless told otherwise. */
export function parseStatsQuery(query: URLSearchParams): { days: number; bucket: BucketSpan } {
  const parsed = statsQuery.safeParse(pick(query, ['window', 'bucket']));
  if (!parsed.success) throw rejected(parsed.error.issues);
  return { days: parsed.data.window ?? 30, bucket: parsed.data.bucket === '1h' ? 'hour' : 'day' };
}

// ---- answers (documentation: GET /api/openapi.json) ----

const figures = {
  up: z.number().int().describe('Runs `up` (not in maintenance)'),
  degraded: z.number().int().describe('Runs `degraded` (not in maintenance): good runs too'),
  down: z.number().int().describe('Runs `down` or `error` (not in maintenance): bad runs'),
  maintenance: z.number().int().describe('Runs in a maintenance window, left out of the uptime'),
  uptimePct: z.number().nullable().describe('good ÷ (good + bad) in %, rounded down to 3 decimals; null without good or bad runs'),
  p50Ms: z.number().nullable().describe('Median response time, ms (the histogram bucket bound); null without one'),
  p95Ms: z.number().nullable().describe('95th percentile response time, ms; null without one'),
  incidents: z.number().int().describe('Incidents started (a bad run after a good one)'),
  incidentMs: z.number().describe('Time in incidents, ms'),
};
const iso = z.iso.datetime({ offset: true }).describe('ISO 8601 instant');

export const jobUptimeSchema = z.object({
  job: z.string(),
  window: z.enum(UPTIME_WINDOWS).nullable().describe('The window, or null for `from`/`to`'),
  from: iso.describe('Where the first bucket starts'),
  to: iso.describe('Now, or `to` if earlier'),
  bucket: z.enum(['hour', 'day']).describe('The buckets summed'),
  noDataMs: z.number().describe('Time in buckets without a counted run, ms'),
  ...figures,
});

export const slaSchema = z.object({
  window: z.enum(UPTIME_WINDOWS).nullable(),
  timeZone: z.string().describe('`PULSECHECK_STATUS_TIMEZONE`: the calendar days of `30d` and `90d`'),
  jobs: z.array(jobUptimeSchema),
});

export const statsSchema = z.object({
  job: z.string(),
  bucket: z.enum(['hour', 'day']),
  timeZone: z.string(),
  series: z.array(z.object({ start: iso, end: iso.describe('Exclusive; the current bucket ends in the future'), noData: z.boolean().describe('No counted run in the bucket'), ...figures })),
});
