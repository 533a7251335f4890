import { createHash, timingSafeEqual } from 'node:crypto';
import type { HttpHandler, HttpRequest, HttpResponse, HttpResponseInit, InvocationContext } from '@azure/functions';
import type { RateLimiter } from '../app/ports/index.js';
import type { AccessSettings } from '../config/settings.js';
import { parsePrincipal } from '../config/principal.js';
import { allows, higher, requestKind, roleOfAppRoles, type Caller, type Role } from '../domain/access.js';
import { PulsecheckError } from '../domain/errors.js';
import { PUBLIC_TAG, showsOnStatusPage, statusPageRole, type StatusPageAccess } from '../domain/statusAccess.js';
import { handle, problem } from './http.js';

/**
 * Which host serves the functions. `azure`: the Functions host checked a function key before a
 * `function`-level route runs. `local`: the local host (like `func start`) checks no keys and
 * listens on 127.0.0.1, so whoever reaches it is the machine's user: `admin`.
 */
export type HostKind = 'azure' | 'local';

/** What the access rules need to know about the deployment. */
export interface AccessOptions extends Pick<AccessSettings, 'easyAuth' | 'metricsToken'>, Partial<Pick<AccessSettings, 'statusPage' | 'statusPublicTag'>> {
  readonly host: HostKind;
}

/** `PULSECHECK_STATUS_PAGE` as the access options hold it (`private` when unset). */
export const statusPageAccess = (options: Partial<Pick<AccessOptions, 'statusPage'>>): StatusPageAccess => options.statusPage ?? 'private';

/**
 * What a status-page route (the page, its summary, the badges) may show: `visible(job)` says whether a
 * job is on it (a handler answers 404 for one that is not, as for an unknown job). The one rule the
 * status page and badge handlers share; `authorized` already answered 404 when the page is `off`.
 */
export function statusPageView(options: Partial<Pick<AccessOptions, 'statusPage' | 'statusPublicTag'>>): {
  readonly access: StatusPageAccess;
  visible(job: { readonly tags?: Readonly<Record<string, string>> | undefined }): boolean;
} {
  const access = statusPageAccess(options);
  const tag = options.statusPublicTag ?? PUBLIC_TAG;
  return { access, visible: (job) => showsOnStatusPage(access, job, tag) };
}

/** What a route declares about who may call it (a registry entry). */
export interface GuardedRoute {
  readonly name: string;
  /** The least role a caller needs; `anonymous`: anyone. */
  readonly role: Role;
  /** `PULSECHECK_METRICS_TOKEN` is accepted here, as the `reader` role (only `metrics`). */
  readonly metricsToken?: boolean;
  /**
   * A status-page route (the page, its summary, the badges): `PULSECHECK_STATUS_PAGE` decides its
   * role (`effectiveRole`), and `off` makes it a 404.
   */
  readonly statusPage?: boolean;
}

/** The role a route needs in this deployment: its declared one, or for a status-page route the one `PULSECHECK_STATUS_PAGE` gives. */
export const effectiveRole = (route: GuardedRoute, options: Partial<Pick<AccessOptions, 'statusPage'>>): Role =>
  route.statusPage ? statusPageRole(statusPageAccess(options), route.role) : route.role;

/** An HTTP handler that is told who calls (after `authorized` let the call through). */
export type CallerHandler = (
  request: HttpRequest,
  context: InvocationContext,
  caller: Caller,
) => Promise<HttpResponseInit | HttpResponse> | HttpResponseInit | HttpResponse;

/** Like `handle`, for a handler that needs the caller (its role, or its name for the audit). */
export function handleCaller(fn: (request: HttpRequest, caller: Caller, context: InvocationContext) => Promise<HttpResponseInit>): CallerHandler {
  return (request, context, caller) => handle((r, c) => fn(r, caller, c))(request, context);
}

/**
 * The auth level the Functions host enforces for a route. With App Service Authentication on, every
 * route is `anonymous` to the Functions host: the platform authenticates (Entra ID) and
 * `authorized` authorises by app role, so function keys grant nothing. Without it, routes that
 * need a role are `function` (any valid key is `admin`), except `metrics` when a metrics token is
 * set: it must reach the app, which checks the token.
 */
export function hostAuthLevel(route: GuardedRoute, options: Pick<AccessOptions, 'easyAuth' | 'metricsToken' | 'statusPage'>): 'anonymous' | 'function' {
  if (effectiveRole(route, options) === 'anonymous' || options.easyAuth) return 'anonymous';
  return route.metricsToken && options.metricsToken ? 'anonymous' : 'function';
}

/**
 * THE access wrapper both hosts put around every HTTP function: identifies the caller
 * (`callerOf`), takes one request from its rate budget (429 with `Retry-After` when spent), checks
 * the route's role (401 for an unidentified caller, 403 for too low a role), then runs the handler
 * with the caller.
 */
export function authorized(route: GuardedRoute, handler: CallerHandler, limiter: RateLimiter, options: AccessOptions): HttpHandler {
  const role = effectiveRole(route, options);
  const off = route.statusPage === true && statusPageAccess(options) === 'off';
  return async (request, context) => {
    if (off) return problem(new PulsecheckError('not_found', 'the status page is off (PULSECHECK_STATUS_PAGE=off)'));
    let caller: Caller;
    try {
      caller = callerOf(request, route, options);
      const decision = await limiter.take(caller.key, requestKind(request.method));
      if (!decision.allowed) {
        const seconds = Math.max(1, Math.ceil(decision.retryAfterMs / 1_000));
        const error = new PulsecheckError('too_many_requests', `too many ${requestKind(request.method)}s from this caller; retry after ${seconds} s`);
        return withHeaders(problem(error), { 'retry-after': String(seconds) });
      }
    } catch (error) {
      context.error('access check failed', error);
      return problem(error);
    }
    if (!allows(caller.role, role)) return denied(caller, { ...route, role }, options);
    return handler(request, context, caller);
  };
}

function denied(caller: Caller, route: GuardedRoute, options: AccessOptions): HttpResponseInit {
  if (caller.authenticated) {
    const held = caller.role === 'anonymous' ? 'no Pulsecheck role' : `the ${caller.role} role`;
    return problem(new PulsecheckError('forbidden', `${route.name} needs the ${route.role} role; the caller has ${held}`));
  }
  const how = [
    ...(options.easyAuth ? ['an Entra ID token (App Service Authentication) of a principal with a Pulsecheck app role'] : []),
    ...(route.metricsToken && options.metricsToken ? ['the metrics token as "Authorization: Bearer <token>"'] : []),
  ];
  const message = `${route.name} needs the ${route.role} role: send ${how.length > 0 ? how.join(', or ') : 'a function key'}`;
  return withHeaders(problem(new PulsecheckError('unauthorized', message)), { 'www-authenticate': 'Bearer' });
}

const withHeaders = (response: HttpResponseInit, headers: Record<string, string>): HttpResponseInit => ({
  ...response,
  headers: { ...(response.headers as Record<string, string>), ...headers },
});

const ANONYMOUS = { role: 'anonymous', authenticated: false, actor: { name: 'anonymous', via: 'none' } } as const;

/**
 * Who makes a request. With App Service Authentication on (and only then: the platform removes
 * client-sent `x-ms-client-principal*` headers), the principal and its app roles; no principal, or
 * one that does not parse, is anonymous. Without it, in Azure, a `function`-level route was reached
 * with a valid function key: `admin`; on the local host everyone is `admin`. The metrics token adds
 * `reader` on the route that accepts it. Never throws on what a client sent.
 */
export function callerOf(request: HttpRequest, route: GuardedRoute, options: AccessOptions): Caller {
  const address = `address:${clientAddress(request)}`;
  let caller: Caller = { ...ANONYMOUS, key: address };
  if (options.easyAuth) {
    const principal = parsePrincipal(request.headers.get('x-ms-client-principal'));
    if (principal) {
      const id = request.headers.get('x-ms-client-principal-id')?.trim() || principal.id;
      const name = request.headers.get('x-ms-client-principal-name')?.trim() || principal.name || id;
      caller = {
        role: roleOfAppRoles(principal.roles),
        authenticated: true,
        actor: { name: (name ?? 'unnamed principal').slice(0, 256), via: 'app-service-auth' },
        // A principal is limited as itself wherever it calls from; one with neither id nor name by its address.
        key: id || name ? `principal:${(id || name || '').slice(0, 256)}` : address,
      };
    }
  } else if (options.host === 'local') {
    caller = { role: 'admin', authenticated: true, actor: { name: 'local host', via: 'none' }, key: address };
  } else if (hostAuthLevel(route, options) === 'function') {
    // The Functions host does not tell Node.js workers which key was used, only that one was valid.
    caller = { role: 'admin', authenticated: true, actor: { name: 'function key', via: 'function-key' }, key: address };
  }
  if (route.metricsToken && options.metricsToken && bearerIs(request, options.metricsToken)) {
    caller = { ...caller, role: higher(caller.role, 'reader'), authenticated: true };
  }
  return caller;
}

/** Whether the request's `Authorization: Bearer` token is `expected`, compared in constant time. */
function bearerIs(request: HttpRequest, expected: string): boolean {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(request.headers.get('authorization') ?? '');
  if (!match) return false;
  const digest = (text: string) => createHash('sha256').update(text).digest();
  // Digests have one length, so timingSafeEqual neither throws nor reveals the token's length.
  return timingSafeEqual(digest(match[1] as string), digest(expected));
}

/**
 * The client's address: the LAST `x-forwarded-for` entry, which the platform's front end appends
 * (entries before it are whatever the client sent). The local host sets the header from the socket.
 * A port (`203.0.113.9:50123`, `[2001:db8::1]:443`) is dropped.
 */
export function clientAddress(request: HttpRequest): string {
  const last = (request.headers.get('x-forwarded-for') ?? '').split(',').at(-1)?.trim() ?? '';
  const address = /^\[([^\]]+)\](?::\d+)?$/.exec(last)?.[1] ?? /^(\d{1,3}(?:\.\d{1,3}){3})(?::\d+)?$/.exec(last)?.[1] ?? last;
  return address.slice(0, 64) || 'unknown';
}
