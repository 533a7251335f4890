import type { AlertRule } from './alerting/rule.js';
import type { Auth, SecretRef } from './auth.js';
import type { Condition } from './conditions/ast.js';
import type { MaintenanceWindow } from './maintenance.js';
import type { Dependencies } from './dependencies.js';
import type { FollowUps } from './followups.js';
import type { Priority } from './priority.js';
import type { Schedule } from './schedule.js';

export const HTTP_METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'] as const;
export type HttpMethod = (typeof HTTP_METHODS)[number];

/** Retries of one run: only transient failures are retried, with exponential backoff and jitter. */
export interface RetrySpec {
  /** Total attempts including the first (1 = no retry). */
  readonly maxAttempts: number;
  /** First backoff delay, in milliseconds. */
  readonly initialDelayMs: number;
  /** Largest backoff delay, in milliseconds. */
  readonly maxDelayMs: number;
  /** Overall deadline of a run, all attempts and delays included, in milliseconds. */
  readonly deadlineMs: number;
}

/** Opens after `failureThreshold` consecutive failed runs; probes again after `halfOpenAfterMs`. */
export interface CircuitBreakerSpec {
  readonly failureThreshold: number;
  readonly halfOpenAfterMs: number;
}

/** Where a job is defined: the jobs file (read-only through the API) or the API. */
export type JobSource = 'config' | 'api';

/** A job as the core uses it: validated, defaults applied, schedule and conditions compiled. */
export interface Job {
  readonly name: string;
  readonly description?: string;
  /** May hold `${secret:…}` references (url, headers, body), resolved at run time. */
  readonly url: string;
  readonly method: HttpMethod;
  readonly headers: Readonly<Record<string, string>>;
  readonly body?: string;
  /** How requests authenticate; `{ type: 'none' }` by default. */
  readonly auth: Auth;
  /** Every secret the job names (`auth.secret` and each `${secret:…}`), each once. */
  readonly secrets: readonly SecretRef[];
  readonly schedule: Schedule;
  readonly enabled: boolean;
  readonly tags: Readonly<Record<string, string>>;
  /** Which checks start first when more are due than the instance can run at once (domain/priority.ts). Default `normal`. */
  readonly priority: Priority;
  /** Per-attempt timeout, in milliseconds. */
  readonly timeoutMs: number;
  readonly retry: RetrySpec;
  /** `null` when the job opts out of the circuit breaker. */
  readonly circuitBreaker: CircuitBreakerSpec | null;
  readonly conditions: readonly Condition[];
  /** `degradedConditions`: judged when `conditions` hold; one failing makes the run `degraded`. Absent when none. */
  readonly degradedConditions?: readonly Condition[];
  /** Whether a condition reads the response body (otherwise the prober discards it unread). */
  readonly readBody: boolean;
  /** Accept any server certificate (self-signed internal endpoints). Expiry is still reported. */
  readonly insecureSkipVerify: boolean;
  readonly source: JobSource;
  /** The job exactly as written (references such as `${env:X}` unresolved): what the API shows. */
  readonly definition: Readonly<Record<string, unknown>>;
  /**
   * The job as it runs, before `${env:}` is substituted: `defaults`, its templates (parameters
   * filled) and its own fields merged. Absent for a job compiled without them.
   */
  readonly resolved?: Readonly<Record<string, unknown>>;
  /** Alert rules (`alerts`, else those of `defaults`); none when absent. */
  readonly alerts?: readonly AlertRule[];
  /** The jobs file's maintenance windows that select this job (domain/maintenance.ts); absent when none. */
  readonly maintenance?: readonly MaintenanceWindow[];
  /** `dependsOn` and `whenUpstreamDown`; absent when the job depends on none. */
  readonly dependencies?: Dependencies;
  /** `onFailure`, `onSuccess`, `onCompletion`; absent when the job names none. */
  readonly followUps?: FollowUps;
  /** API jobs: the stored revision, shown as the HTTP `ETag`. */
  readonly revision?: string;
}
