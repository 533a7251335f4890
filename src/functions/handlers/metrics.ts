import type { HttpHandler } from '@azure/functions';
import type { MetricsExposition } from '../../app/ports/index.js';
import { notFound } from '../../domain/errors.js';
import { handle } from '../http.js';

/** GET /api/metrics: Prometheus text exposition (blackbox-exporter names, labelled by job); `not_found` when that sink is off. */
export const metrics = (exposition: MetricsExposition | undefined): HttpHandler =>
  handle(async () => {
    if (!exposition) throw notFound('Prometheus metrics (PULSECHECK_PROMETHEUS is false)');
    return { status: 200, body: await exposition.expose(), headers: { 'content-type': exposition.contentType, 'cache-control': 'no-store' } };
  });
