import type { HttpHandler } from '@azure/functions';
import type { StatusAudience, StatusSummary } from '../../app/statusSummary.js';
import { PulsecheckError } from '../../domain/errors.js';
import type { statusPageView } from '../access.js';
import { STATUS_PAGE_CSP, handle } from '../http.js';
import { statusAssets } from '../status/assets.js';
import { statusPageHtml } from '../status/page.js';

/** What the deployment lets the status page show. */
export type StatusView = ReturnType<typeof statusPageView>;

/** The audience of a summary: one per access mode (a public page shows the same to everyone), run messages only when private. */
const audienceOf = (view: StatusView): StatusAudience => ({ key: view.access, shows: (job) => view.visible(job), detail: view.access === 'private' });

/** GET /api/status/summary: the status page's data, built at most every few seconds (see `StatusSummary`). */
export const statusSummary = (summary: StatusSummary, view: StatusView): HttpHandler =>
  handle(async () => ({
    status: 200,
    body: await summary.json(audienceOf(view)),
    headers: { 'content-type': 'application/json; charset=utf-8', 'cache-control': view.access === 'public' ? 'public, max-age=5' : 'private, no-store' },
  }));

/** GET /api/status: the page (HTML), with the policy that lets it run its own scripts. */
export const statusPage = (version: string): HttpHandler =>
  handle(async (request) => ({
    status: 200,
    body: statusPageHtml(statusAssets(), version, request.query.get('code') ?? undefined),
    headers: { 'content-type': 'text/html; charset=utf-8', 'content-security-policy': STATUS_PAGE_CSP, 'cache-control': 'no-cache' },
  }));

/** GET /api/status/assets/{file}: the page's script, styles and icon, and uPlot (no CDN). */
export const statusAsset = (): HttpHandler =>
  handle(async (request) => {
    const asset = statusAssets().get(request.params.file ?? '');
    if (!asset) throw new PulsecheckError('not_found', `no status page file "${(request.params.file ?? '').slice(0, 80)}"`);
    return { status: 200, body: asset.body, headers: { 'content-type': asset.type, 'cache-control': 'private, max-age=86400', etag: `"${asset.hash}"` } };
  });
