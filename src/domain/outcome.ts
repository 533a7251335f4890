import { describeResult, evaluateConditions } from './conditions/evaluate.js';
import type { Condition, ConditionResult } from './conditions/ast.js';
import type { ConditionContext } from './conditions/evaluate.js';
import type { Comparison } from './conditions/view.js';
import { scrub } from './redact.js';
import type { JobSource } from './job.js';
import type { Timings, TransportFailureKind, Verdict } from './run.js';

/** What one HTTP attempt produced: a response, or a transport failure. Never an exception. */
export type Attempt =
  | {
      readonly type: 'response';
      readonly status: number;
      /** Header names lower-cased. */
      readonly headers: Readonly<Record<string, string>>;
      readonly body?: string;
      readonly timings: Timings;
      /** Epoch ms at which the server certificate expires (HTTPS only). */
      readonly certificateExpiresAt?: number;
    }
  | {
      readonly type: 'failure';
      readonly kind: TransportFailureKind;
      readonly message: string;
      readonly timings: Timings;
    };

const TRANSIENT_FAILURES: ReadonlySet<TransportFailureKind> = new Set(['timeout', 'connect', 'dns', 'reset']);
const TRANSIENT_STATUSES: ReadonlySet<number> = new Set([408, 429, 500, 502, 503, 504]);

/**
 * Whether an attempt is worth retrying: connection, DNS and reset errors, timeouts, 408, 429 and the
 * 5xx statuses that signal a passing condition (not 501 Not Implemented or 505).
 */
export function isTransient(attempt: Attempt): boolean {
  return attempt.type === 'failure'
    ? TRANSIENT_FAILURES.has(attempt.kind)
    : TRANSIENT_STATUSES.has(attempt.status);
}

/**
 * Whether the target refused the request's credentials (401 Unauthorized, 403 Forbidden): worth one
 * more request only with credentials read again (a rotated secret, a revoked token).
 */
export function isAuthRefusal(attempt: Attempt): boolean {
  return attempt.type === 'response' && (attempt.status === 401 || attempt.status === 403);
}

/**
 * The wait a 429 or 503 response asks for with `Retry-After` (seconds or an HTTP date), in ms;
 * `undefined` when absent or unparseable. `now` is epoch ms.
 */
export function retryAfterMs(attempt: Attempt, now: number): number | undefined {
  if (attempt.type !== 'response' || (attempt.status !== 429 && attempt.status !== 503)) return undefined;
  const value = attempt.headers['retry-after']?.trim();
  if (!value) return undefined;
  if (/^\d+$/.test(value)) return Number(value) * 1_000;
  // Only an IMF-fixdate (RFC 9110 §5.6.7), e.g. `Sun, 06 Nov 1994 08:49:37 GMT`: Date.parse alone
  // would read "1.5" or "-5" as dates.
  if (!/^[A-Z][a-z]{2}, \d{2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}:\d{2} GMT$/.test(value)) return undefined;
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

/** How `judge` treats values from the target. */
export interface JudgeOptions {
  /** The secret values the request carried (from `hiddenForms`): masked in everything the verdict shows and compares. Default none. */
  readonly hidden?: readonly string[];
  /**
   * What conditions compare (`Comparison`), no default: `shown` for sandboxed jobs (`source: 'api'`),
   * `full` for the jobs file's jobs (`comparisonFor`).
   */
  readonly compare: Comparison;
  /**
   * The job's `degradedConditions`: evaluated only when every condition holds; one that fails makes
   * the run `degraded` (still a success). Default none.
   */
  readonly degraded?: readonly Condition[];
}

/**
 * What a job's conditions compare: `shown` for sandboxed jobs (`api`: API jobs and unsaved runs,
 * whose caller chose the conditions), `full` for the jobs file's (`config`, written by operators).
 */
export function comparisonFor(source: JobSource): Comparison {
  return source === 'api' ? 'shown' : 'full';
}

/**
 * Decides `up`, `degraded` or `down` from the final attempt (`degraded`: the conditions hold but a
 * degraded condition does not; its results follow the conditions', marked `degraded`). A transport failure is `down` unless the job asks
 * about reachability itself (`[CONNECTED] == false`), in which case its conditions decide. A
 * connection the target guard refused is `error` (`blocked-target`), whatever the conditions.
 * `now` (epoch ms) is when the attempt ended, for the certificate's time left.
 */
export function judge(conditions: readonly Condition[], attempt: Attempt, now: number, options: JudgeOptions): Verdict {
  const { hidden = [], compare, degraded = [] } = options;
  const failure = attempt.type === 'failure' ? attempt : undefined;
  if (failure?.kind === 'blocked-target') {
    // No connection was made: nothing is known about the target, and its conditions are not judged.
    return { status: 'error', success: false, httpStatus: null, conditions: [], error: { kind: failure.kind, message: scrub(failure.message, hidden) } };
  }
  const asksAboutConnection = conditions.some((c) => c.left.type === 'placeholder' && c.left.name === 'CONNECTED');
  const input: ConditionContext =
    attempt.type === 'response'
      ? {
          connected: true,
          status: attempt.status,
          responseTimeMs: attempt.timings.total,
          ...(attempt.body === undefined ? {} : { body: attempt.body }),
          headers: attempt.headers,
          ...(attempt.certificateExpiresAt === undefined
            ? {}
            : { certificateExpiresInMs: attempt.certificateExpiresAt - now }),
          hidden,
          compare,
        }
      : { connected: false, responseTimeMs: attempt.timings.total, headers: {}, hidden, compare };
  const results: ConditionResult[] = evaluateConditions(conditions, input);
  const httpStatus = attempt.type === 'response' ? attempt.status : null;
  const failed = failedConditions(conditions, results);
  if (failure && !asksAboutConnection) {
    return { status: 'down', success: false, httpStatus, conditions: results, error: { kind: failure.kind, message: scrub(failure.message, hidden) } };
  }
  if (failed.length > 0) {
    return { status: 'down', success: false, httpStatus, conditions: results, error: { kind: 'conditions', message: failed.join('; ') } };
  }
  if (degraded.length === 0) return { status: 'up', success: true, httpStatus, conditions: results };
  const extra = evaluateConditions(degraded, input).map((result): ConditionResult => ({ ...result, degraded: true }));
  const status = extra.every((result) => result.success) ? 'up' : 'degraded';
  return { status, success: true, httpStatus, conditions: [...results, ...extra] };
}

/** The failed conditions of a run, each as `[STATUS] (503) == 200`. */
export function failedConditions(conditions: readonly Condition[], results: readonly ConditionResult[]): string[] {
  return results.flatMap((result, i) => {
    const condition = conditions[i];
    return result.success || !condition || condition.source !== result.condition ? [] : [describeResult(condition, result)];
  });
}

/** The failed degraded conditions of a run (`degraded` results), each as `[RESPONSE_TIME] < 300 (actual: 412)`. */
export function failedDegraded(results: readonly ConditionResult[]): string[] {
  return results.flatMap((r) => (r.degraded && !r.success ? [r.actual === null ? r.condition : `${r.condition} (actual: ${r.actual})`] : []));
}
