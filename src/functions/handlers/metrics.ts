import type { HttpHandler } from '@azure/functions';
import type { Pulsecheck } from '../../app/pulsecheck.js';
import { handle } from '../http.js';

/** GET /api/metrics: Prometheus text exposition (blackbox-exporter names, labelled by job). */
export const metrics = (app: Pulsecheck): HttpHandler =>
  handle(async () => {
    const { contentType, text } = await app.metrics();
    return { status: 200, body: text, headers: { 'content-type': contentType, 'cache-control': 'no-store' } };
  });
