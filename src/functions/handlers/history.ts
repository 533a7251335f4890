import type { HttpHandler, TimerHandler } from '@azure/functions';
import type { JobAdmin } from '../../app/jobAdmin.js';
import { parsePageQuery } from '../../config/apiSchemas.js';
import { handle, jobNameParam, json } from '../http.js';

/** GET /api/jobs/{name}/runs?limit=&cursor=: a page of the job's runs, newest first. */
export const listRuns = (admin: JobAdmin): HttpHandler =>
  handle(async (request) => {
    const name = jobNameParam(request);
    const { limit, cursor } = parsePageQuery(request.query);
    const page = await admin.history(name, limit, cursor);
    return json({ runs: page.items, ...(page.nextCursor ? { nextCursor: page.nextCursor } : {}) });
  });

/** GET /api/audit?limit=&cursor=: a page of the audit log, newest first. */
export const listAudit = (admin: JobAdmin): HttpHandler =>
  handle(async (request) => {
    const { limit, cursor } = parsePageQuery(request.query);
    const page = await admin.auditLog(limit, cursor);
    return json({ entries: page.items, ...(page.nextCursor ? { nextCursor: page.nextCursor } : {}) });
  });

/** The retention timer: deletes runs older than PULSECHECK_RETENTION_DAYS, then compacts the rollups, in bounded batches. */
export const retention =
  (admin: JobAdmin): TimerHandler =>
  async (_timer, context) => {
    const { deleted, before, complete } = await admin.applyRetention();
    context.log(`retention: deleted ${deleted} runs scheduled before ${before}${complete ? '' : ' (more remain; the next run goes on)'}`);
    const rollups = await admin.compactRollups();
    context.log(`retention: compacted ${rollups.compacted} rollup buckets, deleted ${rollups.deleted} older than 400 days${rollups.complete ? '' : ' (more remain; the next run goes on)'}`);
  };
