import type { HttpHandler, HttpRequest, HttpResponseInit, InvocationContext } from '@azure/functions';
import { isPulsecheckError, type ErrorCode } from '../domain/errors.js';

/** The one mapping from error codes to HTTP statuses. */
const STATUS: Record<ErrorCode, number> = {
  config_invalid: 400,
  validation_failed: 400,
  not_found: 404,
  method_not_allowed: 405,
  conflict: 409,
  precondition_failed: 412,
  payload_too_large: 413,
  unsupported_media_type: 415,
  unavailable: 503,
  internal: 500,
};

const TITLES: Record<number, string> = {
  400: 'Bad Request',
  404: 'Not Found',
  405: 'Method Not Allowed',
  409: 'Conflict',
  412: 'Precondition Failed',
  413: 'Content Too Large',
  415: 'Unsupported Media Type',
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
