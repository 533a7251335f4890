import {
  CircuitBreakerPolicy,
  CircuitState as CockatielState,
  ConsecutiveBreaker,
  DelegateBackoff,
  ExponentialBackoff,
  TimeoutStrategy,
  circuitBreaker,
  handleWhenResult,
  noop,
  retry,
  timeout,
  wrap,
  type IBackoff,
  type IPolicy,
  type IRetryBackoffContext,
} from 'cockatiel';
import { isTransient, retryAfterMs, type Attempt } from '../domain/outcome.js';
import type { CircuitBreakerSpec, Job } from '../domain/job.js';
import type { CircuitState } from './ports/index.js';

/**
 * The attempts of one run: an overall deadline around retries of transient failures (exponential
 * backoff with decorrelated jitter, at least what `Retry-After` asks for) around a per-attempt
 * timeout. Timeouts are cooperative: the attempt's signal aborts the request itself.
 *
 * `now` reads the clock (epoch ms). Built per run because the deadline is per run.
 */
export function attemptsPolicy(job: Job, now: () => number): IPolicy {
  const deadlineAt = now() + job.retry.deadlineMs;
  const exponential = new ExponentialBackoff({
    initialDelay: job.retry.initialDelayMs,
    maxDelay: job.retry.maxDelayMs,
  });
  const backoff = new DelegateBackoff<IRetryBackoffContext<Attempt>, IBackoff<unknown>>((context, previous) => {
    const next = previous ? previous.next(context) : exponential.next();
    const asked = 'value' in context.result ? (retryAfterMs(context.result.value, now()) ?? 0) : 0;
    const wait = Math.max(next.duration, asked);
    return { delay: Math.max(0, Math.min(wait, deadlineAt - now())), state: next };
  });
  // Retry only what may pass on its own, and only when the wait the server asks for fits the deadline.
  const retryable = handleWhenResult(
    (result) =>
      isTransient(result as Attempt) && (retryAfterMs(result as Attempt, now()) ?? 0) < deadlineAt - now(),
  );
  return wrap(
    timeout(job.retry.deadlineMs, TimeoutStrategy.Cooperative),
    retry(retryable, { maxAttempts: job.retry.maxAttempts - 1, backoff }),
    timeout(job.timeoutMs, TimeoutStrategy.Cooperative),
  );
}

/**
 * The job's circuit breaker, rebuilt from its persisted state (`initialState`) so it survives across
 * instances; `noop` when the job opts out. It counts runs, not attempts: a run whose verdict is not
 * `up` is a failure.
 */
export function breakerPolicy(
  spec: CircuitBreakerSpec | null,
  initialState: unknown,
  isFailure: (result: unknown) => boolean,
): CircuitBreakerPolicy | typeof noop {
  if (!spec) return noop;
  return circuitBreaker(handleWhenResult(isFailure), {
    halfOpenAfter: spec.halfOpenAfterMs,
    breaker: new ConsecutiveBreaker(spec.failureThreshold),
    ...(initialState === undefined ? {} : { initialState }),
  });
}

const STATE_NAMES: Record<CockatielState, CircuitState> = {
  [CockatielState.Closed]: 'closed',
  [CockatielState.Open]: 'open',
  [CockatielState.HalfOpen]: 'half-open',
  [CockatielState.Isolated]: 'isolated',
};

export const circuitStateName = (state: CockatielState): CircuitState => STATE_NAMES[state];
