import type { HttpHandler, HttpRequest, HttpResponseInit, InvocationContext } from '@azure/functions';
import type { IfMatch } from '../app/jobAdmin.js';
import { jobName } from '../config/jobsSchema.js';
import { PulsecheckError, isPulsecheckError, validationError, type ErrorCode } from '../domain/errors.js';

/** The one mapping from error codes to HTTP statuses. */
const STATUS: Record<ErrorCode, number> = {
  config_invalid: 400,
  validation_failed: 400,
  unauthorized: 401,
  forbidden: 403,
  not_found: 404,
  method_not_allowed: 405,
  conflict: 409,
  precondition_failed: 412,
  quota_exceeded: 409,
  precondition_required: 428,
  misdirected_request: 421,
  payload_too_large: 413,
  unsupported_media_type: 415,
  too_many_requests: 429,
  unavailable: 503,
  internal: 500,
};

const TITLES: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  409: 'Conflict',
  412: 'Precondition Failed',
  413: 'Content Too Large',
  415: 'Unsupported Media Type',
  429: 'Too Many Requests',
  421: 'Misdirected Request',
  428: 'Precondition Required',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
};

// ---- security headers (every response, both hosts) ----

/** Content-Security-Policy of everything but HTML: nothing loads from it, nothing frames it. */
export const API_CSP = "default-src 'none'; frame-ancestors 'none'";
/** Content-Security-Policy of HTML pages: own styles and images only, no scripts, forms or framing. */
export const HTML_CSP = "default-src 'none'; style-src 'self'; img-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";
/**
 * Content-Security-Policy of the status page (`GET /api/status`), which its handler sets: `HTML_CSP`
 * plus the app's own scripts and `connect-src 'self'` for the summary it polls. Still no inline
 * script or style: its script builds the page with DOM calls, and uPlot styles its elements through
 * the CSSOM, which the policy allows.
 */
export const STATUS_PAGE_CSP =
  "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

/**
 * Sets the security headers on a response's headers, in place: `X-Content-Type-Options: nosniff`
 * and `X-Frame-Options: DENY` always; `Content-Security-Policy` (`HTML_CSP` for `text/html`,
 * `API_CSP` otherwise) and `Cache-Control: no-store` unless the handler chose its own (a badge or a
 * page may be cacheable on purpose).
 */
export function applySecurityHeaders(headers: Headers): Headers {
  const html = /^\s*(text\/html|application\/xhtml\+xml)\b/i.test(headers.get('content-type') ?? '');
  headers.set('x-content-type-options', 'nosniff');
  headers.set('x-frame-options', 'DENY');
  if (!headers.has('content-security-policy')) headers.set('content-security-policy', html ? HTML_CSP : API_CSP);
  if (!headers.has('cache-control')) headers.set('cache-control', 'no-store');
  return headers;
}

/** A response with the security headers of `applySecurityHeaders` (headers become a plain record). */
export function securityHeaders(init: HttpResponseInit): HttpResponseInit & { headers: Record<string, string> } {
  return { ...init, headers: Object.fromEntries(applySecurityHeaders(new Headers(init.headers))) };
}

/**
 * Wraps a handler so that whatever it answers carries the security headers: `hostedHttpFunctions`
 * puts it outermost on every HTTP function, so refusals (401, 403, 429) carry them too. The local
 * host also sets them where it writes its own answers (404, 405, 421).
 */
export function withSecurityHeaders(handler: HttpHandler): HttpHandler {
  return async (request, context) => {
    const result = await handler(request, context);
    // An HttpResponse (not an init) has a live Headers object: set them there.
    if (result instanceof Object && 'arrayBuffer' in result && result.headers instanceof Headers) {
      applySecurityHeaders(result.headers);
      return result;
    }
    return securityHeaders(result);
  };
}

export function json(body: unknown, status = 200, headers: Record<string, string> = {}): HttpResponseInit {
  return { status, jsonBody: body, headers: { 'content-type': 'application/json; charset=utf-8', ...headers } };
}

/** What a 503 asks the caller to wait before trying again, in seconds (`Retry-After`). */
export const RETRY_AFTER_SECONDS = 5;

/** Error codes of Node and undici when a connection fails or a peer does not answer. */
const TRANSPORT_CODE = /^(ECONNREFUSED|ECONNRESET|ECONNABORTED|ETIMEDOUT|EPIPE|EHOSTUNREACH|ENETUNREACH|ENOTFOUND|EAI_AGAIN|UND_ERR_)/;

/**
 * Whether an error no adapter named is still a dependency's fault rather than ours: an SDK error
 * with a 5xx, 408 or 429, a request given up (`AbortError`, `TimeoutError`), or a connection that
 * failed. Such a request may succeed later: 503, not 500. Adapters should throw
 * `dependencyUnavailable` (which names the dependency); this is the net under them.
 */
export function isDependencyFault(error: unknown): boolean {
  if (!(error instanceof Error) || isPulsecheckError(error)) return false;
  const { statusCode, code } = error as { statusCode?: unknown; code?: unknown };
  if (typeof statusCode === 'number') return statusCode >= 500 || statusCode === 408 || statusCode === 429;
  return error.name === 'AbortError' || error.name === 'TimeoutError' || (typeof code === 'string' && TRANSPORT_CODE.test(code));
}

/**
 * An error as `application/problem+json` (RFC 9457) with the stable `code` and, for rejected input,
 * field-level `issues`. System errors never show their message: it may hold internals. A 503 (a
 * dependency failed, see `isDependencyFault`, or the host is starting or stopping) names the
 * dependency when one is known and carries `Retry-After` (`retryAfterSeconds`, default 5).
 */
export function problem(error: unknown, options: { retryAfterSeconds?: number } = {}): HttpResponseInit {
  const known = isPulsecheckError(error) && error.kind === 'user' ? error : undefined;
  const code: ErrorCode = known?.code ?? (isPulsecheckError(error) ? error.code : isDependencyFault(error) ? 'unavailable' : 'internal');
  const status = STATUS[code];
  const dependency = isPulsecheckError(error) ? error.dependency : undefined;
  const unavailable = status === 503;
  const detail =
    known?.message ??
    (dependency !== undefined
      ? `${dependency} is unavailable (it failed or did not answer in time); try again later.`
      : unavailable
        ? 'A dependency is unavailable; try again later.'
        : 'Pulsecheck failed to handle the request; details are in its log.');
  return {
    status,
    headers: {
      'content-type': 'application/problem+json; charset=utf-8',
      ...(unavailable ? { 'retry-after': String(options.retryAfterSeconds ?? RETRY_AFTER_SECONDS) } : {}),
    },
    jsonBody: {
      type: `urn:pulsecheck:problem:${code}`,
      title: TITLES[status] ?? 'Error',
      status,
      code,
      detail,
      ...(dependency !== undefined ? { dependency } : {}),
      ...(known && known.issues.length > 0 ? { issues: known.issues } : {}),
    },
  };
}

/** Wraps a handler so that every thrown error becomes a problem response (and system errors are logged). */
export function handle(
  fn: (request: HttpRequest, context: InvocationContext) => Promise<HttpResponseInit>,
): HttpHandler {
  return async (request, context) => {
    try {
      return await fn(request, context);
    } catch (error) {
      if (!isPulsecheckError(error) || error.kind === 'system') context.error('request failed', error);
      return problem(error);
    }
  };
}

// ---- request bodies and revisions (management API); callers are in access.ts ----

/** Largest request body accepted, in bytes (413 above it): 1 MiB. */
export const MAX_BODY_BYTES = 1024 * 1024;

/** Deepest nesting of objects and arrays accepted in a JSON body (400 beyond it). A job needs 4. */
export const MAX_JSON_DEPTH = 64;

/**
 * How deeply `text` nests JSON objects and arrays: one linear pass over the brackets outside
 * strings, no recursion, so any input is safe. Stops counting once past `limit` (default: none).
 * Not a validator: for text that is not JSON the figure is only an estimate.
 */
export function jsonDepth(text: string, limit = Number.POSITIVE_INFINITY): number {
  let depth = 0;
  let deepest = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++; // a backslash escapes the next character, a quote included
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) {
      inString = true;
    } else if (c === 0x5b || c === 0x7b) {
      depth++;
      if (depth > deepest) deepest = depth;
      if (deepest > limit) return deepest;
    } else if ((c === 0x5d || c === 0x7d) && depth > 0) {
      depth--; // never below 0: stray closers first must not hide the nesting that follows
    }
  }
  return deepest;
}

/**
 * The request's JSON body. 415 unless the content type is JSON (`application/json` or `+json`),
 * 413 over `MAX_BODY_BYTES`, 400 when it is missing, not valid JSON, or nested deeper than
 * `MAX_JSON_DEPTH`.
 */
export async function readJsonBody(request: HttpRequest): Promise<unknown> {
  const type = request.headers.get('content-type') ?? '';
  if (!/^application\/([\w.+-]+\+)?json\s*(;|$)/i.test(type)) {
    throw new PulsecheckError('unsupported_media_type', `the body must be JSON (content-type: application/json), not ${type === '' ? 'untyped' : `"${type.slice(0, 100)}"`}`);
  }
  const length = Number(request.headers.get('content-length') ?? 0);
  if (length > MAX_BODY_BYTES) throw tooLarge();
  const bytes = Buffer.from(await request.arrayBuffer());
  if (bytes.length > MAX_BODY_BYTES) throw tooLarge();
  if (bytes.length === 0) throw new PulsecheckError('validation_failed', 'a JSON body is required', [{ path: '', message: 'the body is empty (expected a JSON object)' }]);
  const text = bytes.toString('utf8');
  // Before anything recursive (the schema, copies, storage) walks it: 3,000 levels overflow the stack.
  if (jsonDepth(text, MAX_JSON_DEPTH) > MAX_JSON_DEPTH) {
    const message = `the body nests objects and arrays more than ${MAX_JSON_DEPTH} levels deep (the limit is ${MAX_JSON_DEPTH})`;
    throw new PulsecheckError('validation_failed', message, [{ path: '', message }]);
  }
  try {
    return JSON.parse(text);
  } catch (error) {
    const message = `the body is not valid JSON: ${(error as Error).message}`;
    throw new PulsecheckError('validation_failed', message, [{ path: '', message }]);
  }
}

/** 413: a request body over `MAX_BODY_BYTES` (the local host checks the size before the handler). */
export const tooLarge = () => new PulsecheckError('payload_too_large', `the request body is over ${MAX_BODY_BYTES} bytes`);

/**
 * `If-Match` as the use cases take it: `*`, or the listed revisions (quotes and `W/` removed).
 * Required (428 without it): a change must say which revision it was made from, so that two
 * writers cannot overwrite each other unknowingly.
 */
export function ifMatchOf(request: HttpRequest): IfMatch {
  const header = request.headers.get('if-match');
  // Present but empty or unparsable matches no revision (412), it is not the same as absent.
  if (header === null) {
    const message = 'If-Match is required: send the ETag from GET /api/jobs/{name} (or * to change whatever revision is there)';
    throw new PulsecheckError('precondition_required', message, [{ path: 'If-Match', message }]);
  }
  if (header.trim() === '*') return { any: true };
  const etags = [...header.matchAll(/(?:W\/)?"([^"]*)"|([^\s,"]+)/g)].map((m) => m[1] ?? m[2] ?? '');
  return { etags };
}

/**
 * The `{name}` of a job route, checked against the job name rule before anything looks it up: a
 * name no job can have (`a/b`, `a%2Fb`, 300 characters) is a 400 naming `name` at once, not a
 * storage call with a key the store refuses (Table Storage retried those for seconds, then 500).
 */
export function jobNameParam(request: HttpRequest): string {
  const value = request.params.name ?? '';
  const parsed = jobName.safeParse(value);
  if (parsed.success) return parsed.data;
  const shown = JSON.stringify(value.length > 80 ? `${value.slice(0, 80)}…` : value);
  throw validationError('the URL', [{ path: 'name', message: `name ${shown} in the URL ${parsed.error.issues[0]?.message ?? 'is not a job name'}` }]);
}

/** A revision as an HTTP `ETag` value. */
export const etagHeader = (revision: string): string => `"${revision}"`;
