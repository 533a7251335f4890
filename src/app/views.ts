import type { Job } from '../domain/job.js';
import { MASK, SENSITIVE_HEADERS } from '../domain/redact.js';
import { describeSchedule, nextOccurrence } from '../domain/schedule.js';
import type { JobState } from '../domain/state.js';

const REFERENCES = /\$\{(secret|env):[^}]+\}/g;
/** What may stand beside references in a credential header: an auth scheme (`Bearer ${secret:x}`). */
const SCHEME_ONLY = /^\s*([A-Za-z][A-Za-z0-9-]*\s+)?$/;

/** A job as the API shows it: as written (references, not values), with its state and next run. */
export interface JobView {
  readonly name: string;
  readonly description?: string;
  readonly source: Job['source'];
  readonly enabled: boolean;
  readonly method: Job['method'];
  readonly url: string;
  readonly schedule: string;
  readonly nextRunAt: string | null;
  readonly tags: Readonly<Record<string, string>>;
  readonly headers: Readonly<Record<string, string>>;
  /** As written: secret names, never values. */
  readonly auth: Readonly<Record<string, unknown>>;
  readonly conditions: readonly string[];
  readonly timeoutSeconds: number;
  readonly retry: { maxAttempts: number; initialDelayMs: number; maxDelayMs: number; deadlineSeconds: number };
  readonly circuitBreaker: { failureThreshold: number; halfOpenAfterSeconds: number } | false;
  readonly state: JobState;
}

/** Builds the API view of a job; `now` (epoch ms) gives the next run. */
export function jobView(job: Job, state: JobState, now: number): JobView {
  const written = job.definition as { url?: string; headers?: Record<string, string>; auth?: Record<string, unknown> };
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(written.headers ?? {})) {
    // A credential header is shown only when it is references (and a scheme): a literal value is masked.
    const literal = value.replace(REFERENCES, '');
    headers[name] = SENSITIVE_HEADERS.has(name.toLowerCase()) && (literal === value || !SCHEME_ONLY.test(literal)) ? MASK : value;
  }
  const next = job.enabled ? nextOccurrence(job.schedule, now) : undefined;
  return {
    name: job.name,
    ...(job.description === undefined ? {} : { description: job.description }),
    source: job.source,
    enabled: job.enabled,
    method: job.method,
    url: written.url ?? job.url,
    schedule: describeSchedule(job.schedule),
    nextRunAt: next === undefined ? null : new Date(next).toISOString(),
    tags: job.tags,
    headers,
    // From `defaults` when the job has none of its own: the compiled auth, secrets by name.
    auth: written.auth ?? ('secret' in job.auth ? { ...job.auth, secret: job.auth.secret.id } : job.auth),
    conditions: job.conditions.map((c) => c.source),
    timeoutSeconds: job.timeoutMs / 1_000,
    retry: {
      maxAttempts: job.retry.maxAttempts,
      initialDelayMs: job.retry.initialDelayMs,
      maxDelayMs: job.retry.maxDelayMs,
      deadlineSeconds: job.retry.deadlineMs / 1_000,
    },
    circuitBreaker: job.circuitBreaker
      ? { failureThreshold: job.circuitBreaker.failureThreshold, halfOpenAfterSeconds: job.circuitBreaker.halfOpenAfterMs / 1_000 }
      : false,
    state,
  };
}
