import type { HttpHandler } from '@azure/functions';
import type { Pulsecheck } from '../../app/pulsecheck.js';
import { allows } from '../../domain/access.js';
import { handleCaller, type CallerHandler } from '../access.js';
import { handle, json } from '../http.js';

const noStore = { 'cache-control': 'no-store' };

/**
 * GET /api/health: the app's own health, 200 while it can run checks, even when degraded. Anyone
 * gets `status` and `version`; a `reader` also gets the detail (components, paths, errors, counts).
 */
export const health = (app: Pulsecheck): CallerHandler =>
  handleCaller(async (_request, caller) => {
    const report = await app.health();
    return json(allows(caller.role, 'reader') ? report : { status: report.status, version: report.version }, 200, noStore);
  });

/** GET /api/health/detail: the whole report; the registry requires `reader`. */
export const healthDetail = (app: Pulsecheck): HttpHandler => handle(async () => json(await app.health(), 200, noStore));
