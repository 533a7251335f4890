import type { HttpHandler, HttpRequest } from '@azure/functions';
import type { JobUptime, Uptime } from '../../app/uptime.js';
import { parseSlaQuery, parseStatsQuery } from '../../config/uptimeSchemas.js';
import { toCsv } from '../../domain/csv.js';
import { handle, jobNameParam, json } from '../http.js';

/** The columns of `GET /api/sla` as CSV, in order. */
const SLA_COLUMNS = ['job', 'from', 'to', 'uptimePct', 'up', 'degraded', 'down', 'maintenance', 'noDataMs', 'p50Ms', 'p95Ms', 'incidents', 'incidentMs'] as const satisfies ReadonlyArray<keyof JobUptime>;

/** Whether the caller asked for CSV (`Accept: text/csv`). */
const wantsCsv = (request: HttpRequest): boolean => /(^|,)\s*text\/csv\s*(;|,|$)/i.test(request.headers.get('accept') ?? '');

/** GET /api/sla?window=|from=&to=[&job=]: uptime and SLA figures per job, JSON or (`Accept: text/csv`) CSV. */
export const sla = (uptime: Uptime): HttpHandler =>
  handle(async (request) => {
    const query = parseSlaQuery(request.query);
    const jobs = await uptime.sla(query);
    if (wantsCsv(request)) return { status: 200, body: toCsv(SLA_COLUMNS, jobs), headers: { 'content-type': 'text/csv; charset=utf-8; header=present' } };
    return json({ window: query.window ?? null, timeZone: uptime.timeZone, jobs });
  });

/** GET /api/jobs/{name}/stats?window=&bucket=: one job's rollups as a series, oldest first. */
export const jobStats = (uptime: Uptime): HttpHandler =>
  handle(async (request) => {
    const name = jobNameParam(request);
    const { days, bucket } = parseStatsQuery(request.query);
    return json(await uptime.stats(name, days, bucket));
  });
