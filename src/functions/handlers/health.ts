import type { HttpHandler } from '@azure/functions';
import type { Health } from '../../app/health.js';
import { allows } from '../../domain/access.js';
import { handleCaller, type CallerHandler } from '../access.js';
import { handle, json } from '../http.js';

const noStore = { 'cache-control': 'no-store' };

/**
 * GET /api/health: the app's own health, 200 while it can run checks, even when degraded. Anyone
 * gets `status` and `version`; a `reader` also gets the detail (components, paths, errors, counts).
 */
export const health = (health: Health): CallerHandler =>
  handleCaller(async (_request, caller) => {
    const report = await health.report();
    return json(allows(caller.role, 'reader') ? report : { status: report.status, version: report.version }, 200, noStore);
  });

/** GET /api/health/detail: the whole report; the registry requires `reader`. */
export const healthDetail = (health: Health): HttpHandler => handle(async () => json(await health.report(), 200, noStore));
