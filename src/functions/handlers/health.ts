import type { HttpHandler } from '@azure/functions';
import type { Pulsecheck } from '../../app/pulsecheck.js';
import { handle, json } from '../http.js';

/** GET /api/health: the app's own health. 200 while it can run checks, even when degraded. */
export const health = (app: Pulsecheck): HttpHandler =>
  handle(async () => json(await app.health(), 200, { 'cache-control': 'no-store' }));
