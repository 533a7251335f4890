import { createHash } from 'node:crypto';
import type { HttpRequest, HttpResponseInit } from '@azure/functions';
import type { Badges } from '../../app/badges.js';
import { badgeSvg, type Badge } from '../../domain/badge.js';
import { validationError } from '../../domain/errors.js';
import { UPTIME_WINDOWS, type UptimeWindow } from '../../domain/sla.js';
import { statusPageView, type AccessOptions, type CallerHandler } from '../access.js';
import { handle, jobNameParam } from '../http.js';

/** How long a cache (a README's image proxy, a browser) may reuse a badge, in seconds. */
export const BADGE_MAX_AGE = { state: 60, uptime: 300 } as const;

/**
 * The badge as `image/svg+xml` with `Cache-Control: max-age` (`public` when the status page is, else
 * `private`) and an `ETag` of its bytes; `If-None-Match` with it answers 304.
 */
function svgResponse(request: HttpRequest, badge: Badge, maxAge: number, access: AccessOptions): HttpResponseInit {
  const svg = badgeSvg(badge);
  const etag = `"${createHash('sha256').update(svg).digest('base64url').slice(0, 22)}"`;
  const headers = {
    'content-type': 'image/svg+xml; charset=utf-8',
    'cache-control': `${statusPageView(access).access === 'public' ? 'public' : 'private'}, max-age=${maxAge}`,
    etag,
  };
  const seen = (request.headers.get('if-none-match') ?? '').split(',').map((t) => t.trim().replace(/^W\//, ''));
  if (seen.includes(etag) || seen.includes('*')) return { status: 304, headers };
  return { status: 200, body: svg, headers };
}

/** GET /api/badges/{name}.svg: the job's state (up, degraded, down, maintenance, unknown). */
export const stateBadgeHandler =
  (badges: Badges, access: AccessOptions): CallerHandler =>
  (request, context) =>
    handle(async (r) => svgResponse(r, await badges.state(jobNameParam(r), statusPageView(access).visible), BADGE_MAX_AGE.state, access))(request, context);

/** GET /api/badges/{name}/uptime/{window}.svg: the job's uptime over 1d, 7d, 30d or 90d. */
export const uptimeBadgeHandler =
  (badges: Badges, access: AccessOptions): CallerHandler =>
  (request, context) =>
    handle(async (r) => {
      const name = jobNameParam(r);
      const window = r.params.window ?? '';
      if (!(UPTIME_WINDOWS as readonly string[]).includes(window)) {
        throw validationError('the URL', [{ path: 'window', message: `window ${JSON.stringify(window.slice(0, 20))} in the URL must be one of ${UPTIME_WINDOWS.join(', ')}` }]);
      }
      return svgResponse(r, await badges.uptime(name, window as UptimeWindow, statusPageView(access).visible), BADGE_MAX_AGE.uptime, access);
    })(request, context);
