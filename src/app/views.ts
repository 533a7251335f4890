import type { Job } from '../domain/job.js';
import { describeSchedule, nextOccurrence } from '../domain/schedule.js';
import type { JobState } from '../domain/state.js';
import { maskHeaders, maskUrl } from '../domain/mask.js';

/** A job as the API shows it: as written (references, not values), with its state and next run. */
export interface JobView {
  readonly name: string;
  readonly description?: string;
  readonly source: Job['source'];
  /** API jobs: the revision to send back in `If-Match`. */
  readonly etag?: string;
  readonly enabled: boolean;
  readonly method: Job['method'];
  readonly url: string;
  readonly schedule: string;
  readonly nextRunAt: string | null;
  readonly tags: Readonly<Record<string, string>>;
  readonly headers: Readonly<Record<string, string>>;
  readonly conditions: readonly string[];
  readonly timeoutSeconds: number;
  readonly retry: { maxAttempts: number; initialDelayMs: number; maxDelayMs: number; deadlineSeconds: number };
  readonly circuitBreaker: { failureThreshold: number; halfOpenAfterSeconds: number } | false;
  readonly state: JobState;
}

/** Builds the API view of a job; `now` (epoch ms) gives the next run. */
export function jobView(job: Job, state: JobState, now: number): JobView {
  const written = job.definition as { url?: string; headers?: Record<string, string> };
  const headers = maskHeaders(written.headers ?? {});
  const next = job.enabled ? nextOccurrence(job.schedule, now) : undefined;
  return {
    name: job.name,
    ...(job.description === undefined ? {} : { description: job.description }),
    source: job.source,
    ...(job.revision === undefined ? {} : { etag: job.revision }),
    enabled: job.enabled,
    method: job.method,
    url: maskUrl(written.url ?? job.url),
    schedule: describeSchedule(job.schedule),
    nextRunAt: next === undefined ? null : new Date(next).toISOString(),
    tags: job.tags,
    headers,
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
