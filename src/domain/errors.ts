/**
 * One error hierarchy for the program's own faults and for rejected input.
 * A failed health check is NOT an error: it is a run with `status: "down"`.
 *
 * Each error has a stable `code` (mapped to an HTTP status in one place, `functions/http.ts`) and a
 * `kind`: `user` errors carry user data and are safe to show to the caller but never go to telemetry;
 * `system` errors are our own faults, reported without internals.
 * @see https://github.com/nodejs/undici/blob/main/lib/core/errors.js for the habit of stable codes.
 */
export const ERROR_CODES = [
  'config_invalid',
  'validation_failed',
  'unauthorized',
  'forbidden',
  'not_found',
  'method_not_allowed',
  'conflict',
  'precondition_failed',
  'quota_exceeded',
  'precondition_required',
  'misdirected_request',
  'payload_too_large',
  'unsupported_media_type',
  'too_many_requests',
  'unavailable',
  'internal',
] as const;
export type ErrorCode = (typeof ERROR_CODES)[number];

/** One precise problem with a piece of input: where it is and what was expected. */
export interface Issue {
  /** Dotted path of the offending field, e.g. `jobs[2].schedule`; empty for the whole input. */
  path: string;
  /** Human sentence naming the field and what was expected. */
  message: string;
}

/** Every code but these two is about the caller's input. */
const systemCodes: ReadonlySet<ErrorCode> = new Set<ErrorCode>(['unavailable', 'internal']);

export class PulsecheckError extends Error {
  override readonly name = 'PulsecheckError';
  readonly kind: 'user' | 'system';
  /** For `unavailable`: the dependency that failed (`Table Storage`), safe to show to the caller. */
  readonly dependency: string | undefined;

  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly issues: readonly Issue[] = [],
    options?: { cause?: unknown; dependency?: string },
  ) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.kind = systemCodes.has(code) ? 'system' : 'user';
    this.dependency = options?.dependency;
  }
}

export const isPulsecheckError = (error: unknown): error is PulsecheckError =>
  error instanceof PulsecheckError;

const listed = (what: string, issues: readonly Issue[]) => `${what} is invalid:\n${issues.map((i) => `  - ${i.message}`).join('\n')}`;

/** The jobs file (or one job) is invalid; `issues` lists every problem at once. */
export const configError = (issues: readonly Issue[], source = 'configuration'): PulsecheckError =>
  new PulsecheckError('config_invalid', listed(source, issues), issues);

/** A request's input (`what`: the job, the query string) is invalid; `issues` lists every problem (400). */
export const validationError = (what: string, issues: readonly Issue[]): PulsecheckError =>
  new PulsecheckError('validation_failed', listed(what, issues), issues);

export const notFound = (what: string): PulsecheckError =>
  new PulsecheckError('not_found', `${what} was not found`);

/** SDK messages can run to pages (identity errors list every attempt): the first line, bounded. */
export function firstLine(text: string | undefined): string {
  const line = (text ?? 'unknown error').split('\n')[0]?.trim() ?? '';
  return line.length > 300 ? `${line.slice(0, 300)}…` : line;
}

/**
 * `dependency` (a name a user knows: `Table Storage`) did not answer in time or failed: a 503 the
 * caller may retry. `cause` is the SDK's error, for the log only.
 */
export const dependencyUnavailable = (dependency: string, cause?: unknown): PulsecheckError =>
  new PulsecheckError('unavailable', `${dependency} is unavailable${cause instanceof Error ? `: ${firstLine(cause.message)}` : ''}`, [], { cause, dependency });

/** A conditional write found another revision than the one the caller read. */
export const preconditionFailed = (what: string): PulsecheckError =>
  new PulsecheckError('precondition_failed', `${what} has changed since it was read (its ETag no longer matches); read it again and retry`);
