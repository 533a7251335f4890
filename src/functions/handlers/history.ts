import type { HttpHandler, TimerHandler } from '@azure/functions';
import type { Pulsecheck } from '../../app/pulsecheck.js';
import { parsePageQuery } from '../../config/apiSchemas.js';
import { handle, jobNameParam, json } from '../http.js';

/** GET /api/jobs/{name}/runs?limit=&cursor=: a page of the job's runs, newest first. */
export const listRuns = (app: Pulsecheck): HttpHandler =>
  handle(async (request) => {
    const name = jobNameParam(request);
    const { limit, cursor } = parsePageQuery(request.query);
    const page = await app.jobs.history(name, limit, cursor);
    return json({ runs: page.items, ...(page.nextCursor ? { nextCursor: page.nextCursor } : {}) });
  });

/** GET /api/audit?limit=&cursor=: a page of the audit log, newest first. */
export const listAudit = (app: Pulsecheck): HttpHandler =>
  handle(async (request) => {
    const { limit, cursor } = parsePageQuery(request.query);
    const page = await app.jobs.auditLog(limit, cursor);
    return json({ entries: page.items, ...(page.nextCursor ? { nextCursor: page.nextCursor } : {}) });
  });

/** The retention timer: deletes runs older than PULSECHECK_RETENTION_DAYS, in bounded batches. */
export const retention =
  (app: Pulsecheck): TimerHandler =>
  async (_timer, context) => {
    const { deleted, before, complete } = await app.jobs.applyRetention();
    context.log(`retention: deleted ${deleted} runs scheduled before ${before}${complete ? '' : ' (more remain; the next run goes on)'}`);
  };
