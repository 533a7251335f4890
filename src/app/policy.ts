import {
  type CircuitBreakerPolicy,
  CircuitState as CockatielState,
  ConsecutiveBreaker,
  DelegateBackoff,
  ExponentialBackoff,
  TimeoutStrategy,
  circuitBreaker,
  handleWhenResult,
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
 * Cooperative: the attempt's signal aborts the request itself. `abortOnReturn: false`: a finished
 * attempt has nothing left to cancel, and aborting would cost a DOMException (with its stack) per
 * attempt on the hot path.
 */
const COOPERATIVE = { strategy: TimeoutStrategy.Cooperative, abortOnReturn: false } as const;

/** Each attempt knows the deadline of its run, so one policy per job serves every run. */
const deadlines = new WeakMap<Attempt, number>();

/**
 * The attempts of a run: an overall deadline around retries of transient failures (exponential
 * backoff with decorrelated jitter, or longer if `Retry-After` asks) around a per-attempt timeout.
 * Built once per job; `now` reads the clock (epoch ms).
 */
export class AttemptsPolicy {
  readonly #policy: IPolicy;

  constructor(
    readonly job: Job,
    readonly now: () => number,
  ) {
    const exponential = new ExponentialBackoff({ initialDelay: job.retry.initialDelayMs, maxDelay: job.retry.maxDelayMs });
    const remaining = (attempt: Attempt) => (deadlines.get(attempt) ?? 0) - now();
    const backoff = new DelegateBackoff<IRetryBackoffContext<Attempt>, IBackoff<unknown>>((context, previous) => {
      const next = previous ? previous.next(context) : exponential.next();
      if (!('value' in context.result)) return { delay: next.duration, state: next };
      const wait = Math.max(next.duration, retryAfterMs(context.result.value, now()) ?? 0);
      return { delay: Math.max(0, Math.min(wait, remaining(context.result.value))), state: next };
    });
    // Retry only what may pass on its own, and only when the wait the server asks for fits the deadline.
    const retryable = handleWhenResult((result) => {
      const attempt = result as Attempt;
      return isTransient(attempt) && (retryAfterMs(attempt, now()) ?? 0) < remaining(attempt);
    });
    // With a single attempt there is nothing to retry, and the deadline (never shorter than the
    // timeout) cannot bind: the per-attempt timeout alone is the policy.
    this.#policy =
      job.retry.maxAttempts === 1
        ? timeout(job.timeoutMs, COOPERATIVE)
        : wrap(
            timeout(job.retry.deadlineMs, COOPERATIVE),
            retry(retryable, { maxAttempts: job.retry.maxAttempts - 1, backoff }),
            timeout(job.timeoutMs, COOPERATIVE),
          );
  }

  /**
   * Runs attempts until one is not transient, the attempts are spent or the deadline passes; returns
   * the final attempt and how many requests were made. `attempt(n, signal)` makes request number n.
   */
  async execute(
    attempt: (n: number, signal: AbortSignal) => Promise<Attempt>,
    signal?: AbortSignal,
  ): Promise<{ final: Attempt; attempts: number }> {
    const deadlineAt = this.now() + this.job.retry.deadlineMs;
    let attempts = 0;
    let last: Attempt | undefined;
    const final = await this.#policy.execute(async ({ signal: inner }) => {
      // The deadline passed during a backoff delay: keep the last real attempt rather than make another.
      if (inner.aborted && last) return last;
      attempts += 1;
      last = await attempt(attempts, inner);
      deadlines.set(last, deadlineAt);
      return last;
    }, signal);
    return { final: final as Attempt, attempts };
  }
}

/**
 * A job's circuit breaker. It counts runs, not attempts (a run whose verdict is not `up` is a
 * failure), and its state is serialised (`toJSON` / `initialState`) so that it survives across
 * instances. `onChange` hears every transition.
 */
export function breakerPolicy(
  spec: CircuitBreakerSpec,
  serialized: string | undefined,
  isFailure: (result: unknown) => boolean,
  onChange: (state: CircuitState) => void,
): CircuitBreakerPolicy {
  const breaker = circuitBreaker(handleWhenResult(isFailure), {
    halfOpenAfter: spec.halfOpenAfterMs,
    breaker: new ConsecutiveBreaker(spec.failureThreshold),
    ...(serialized === undefined ? {} : { initialState: JSON.parse(serialized) as unknown }),
  });
  breaker.onStateChange((state) => onChange(STATE_NAMES[state]));
  return breaker;
}

const STATE_NAMES: Record<CockatielState, CircuitState> = {
  [CockatielState.Closed]: 'closed',
  [CockatielState.Open]: 'open',
  [CockatielState.HalfOpen]: 'half-open',
  [CockatielState.Isolated]: 'isolated',
};
