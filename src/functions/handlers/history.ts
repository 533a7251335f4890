import type { HttpHandler, TimerHandler } from '@azure/functions';
import type { DeadLetters } from '../../app/deadLetters.js';
import type { JobAdmin } from '../../app/jobAdmin.js';
import type { QueuedChecks } from '../../app/queuedChecks.js';
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

/**
 * The retention timer: deletes runs, dead letters and occurrence claims older than
 * PULSECHECK_RETENTION_DAYS, and compacts the rollups, in bounded batches.
 */
export const retention =
  (admin: JobAdmin, deadLetters: DeadLetters, queuedChecks: QueuedChecks): TimerHandler =>
  async (_timer, context) => {
    const { deleted, before, complete } = await admin.applyRetention();
    context.log(`retention: deleted ${deleted} runs scheduled before ${before}${complete ? '' : ' (more remain; the next run goes on)'}`);
    const rollups = await admin.compactRollups();
    context.log(`retention: compacted ${rollups.compacted} rollup buckets, deleted ${rollups.deleted} older than 400 days${rollups.complete ? '' : ' (more remain; the next run goes on)'}`);
    const letters = await deadLetters.applyRetention();
    if (letters.deleted > 0) context.log(`retention: deleted ${letters.deleted} dead letters put on the poison queue before ${letters.before}`);
    const claims = await queuedChecks.applyRetention();
    if (claims.deleted > 0 || !claims.complete) {
      context.log(`retention: deleted ${claims.deleted} occurrence claims of days before ${claims.before.slice(0, 10)}${claims.complete ? '' : ' (more remain; the next run goes on)'}`);
    }
  };
