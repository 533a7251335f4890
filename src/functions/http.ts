import type { HttpHandler, HttpRequest, HttpResponseInit, InvocationContext } from '@azure/functions';
import type { IfMatch } from '../app/jobAdmin.js';
import { PulsecheckError, isPulsecheckError, type ErrorCode } from '../domain/errors.js';

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
  500: 'Internal Server Error',
  503: 'Service Unavailable',
};

export function json(body: unknown, status = 200, headers: Record<string, string> = {}): HttpResponseInit {
  return { status, jsonBody: body, headers: { 'content-type': 'application/json; charset=utf-8', ...headers } };
}

/**
 * An error as `application/problem+json` (RFC 9457) with the stable `code` and, for rejected input,
 * field-level `issues`. System errors never show their message: it may hold internals.
 */
export function problem(error: unknown): HttpResponseInit {
  const known = isPulsecheckError(error) && error.kind === 'user' ? error : undefined;
  const code: ErrorCode = known?.code ?? (isPulsecheckError(error) ? error.code : 'internal');
  const status = STATUS[code];
  return {
    status,
    headers: { 'content-type': 'application/problem+json; charset=utf-8' },
    jsonBody: {
      type: `urn:pulsecheck:problem:${code}`,
      title: TITLES[status] ?? 'Error',
      status,
      code,
      detail: known?.message ?? (status === 503 ? 'A dependency is unavailable; try again later.' : 'Pulsecheck failed to handle the request; details are in its log.'),
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

/**
 * The request's JSON body. 415 unless the content type is JSON (`application/json` or `+json`),
 * 413 over `MAX_BODY_BYTES`, 400 when it is missing or not valid JSON.
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
  try {
    return JSON.parse(bytes.toString('utf8'));
  } catch (error) {
    const message = `the body is not valid JSON: ${(error as Error).message}`;
    throw new PulsecheckError('validation_failed', message, [{ path: '', message }]);
  }
}

/** 413: a request body over `MAX_BODY_BYTES` (the local host checks the size before the handler). */
export const tooLarge = () => new PulsecheckError('payload_too_large', `the request body is over ${MAX_BODY_BYTES} bytes`);

/** `If-Match` as the use cases take it: absent, `*`, or the listed revisions (quotes and `W/` removed). */
export function ifMatchOf(request: HttpRequest): IfMatch | undefined {
  const header = request.headers.get('if-match');
  // Present but empty or unparsable matches no revision (412), it is not the same as absent.
  if (header === null) return undefined;
  if (header.trim() === '*') return { any: true };
  const etags = [...header.matchAll(/(?:W\/)?"([^"]*)"|([^\s,"]+)/g)].map((m) => m[1] ?? m[2] ?? '');
  return { etags };
}

/** A revision as an HTTP `ETag` value. */
export const etagHeader = (revision: string): string => `"${revision}"`;
