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
  type RetryPolicy,
} from 'cockatiel';
import { carriesCredentials } from '../domain/auth.js';
import { isAuthRefusal, isTransient, retryAfterMs, type Attempt } from '../domain/outcome.js';
import type { CircuitBreakerSpec, Job } from '../domain/job.js';
import type { CircuitState } from './ports/index.js';
import type { BaseProbe, Prepared, Unprepared } from './requestAuth.js';

/**
 * Cooperative: the attempt's signal aborts the request itself. `abortOnReturn: false`: a finished
 * attempt has nothing left to cancel, and aborting would cost a DOMException (with its stack) per
 * attempt on the hot path.
 */
const COOPERATIVE = { strategy: TimeoutStrategy.Cooperative, abortOnReturn: false } as const;

/**
 * One run's attempts so far, and its deadline: what the retry rule and the backoff read after each
 * attempt, so that one policy per job serves every run. The same object is every attempt's result.
 */
class Tries {
  attempts = 0;
  /** The latest attempt (set before any rule reads it). */
  final!: Attempt;
  constructor(
    /** Epoch ms the run's deadline passes. */
    readonly deadlineAt: number,
  ) {}
}

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
    const backoff = new DelegateBackoff<IRetryBackoffContext<Tries>, IBackoff<unknown>>((context, previous) => {
      const next = previous ? previous.next(context) : exponential.next();
      if (!('value' in context.result)) return { delay: next.duration, state: next };
      const tries = context.result.value;
      const wait = Math.max(next.duration, retryAfterMs(tries.final, now()) ?? 0);
      return { delay: Math.max(0, Math.min(wait, tries.deadlineAt - now())), state: next };
    });
    // Retry only what may pass on its own, and only when the wait the server asks for fits the deadline.
    const retryable = handleWhenResult((result) => {
      const { final, deadlineAt } = result as Tries;
      return isTransient(final) && (retryAfterMs(final, now()) ?? 0) < deadlineAt - now();
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
  async execute(attempt: (n: number, signal: AbortSignal) => Promise<Attempt>, signal: AbortSignal | undefined): Promise<{ readonly final: Attempt; readonly attempts: number }> {
    const tries = new Tries(this.now() + this.job.retry.deadlineMs);
    await this.#policy.execute(async ({ signal: inner }) => {
      // The deadline passed during a backoff delay: keep the last real attempt rather than make another.
      if (inner.aborted && tries.attempts > 0) return tries;
      tries.attempts += 1;
      tries.final = await attempt(tries.attempts, inner);
      return tries;
    }, signal);
    return tries;
  }
}

/** The requests of a run: the final attempt, how many were made, and the credential values they carried. */
export interface Sent {
  readonly ok: true;
  readonly final: Attempt;
  readonly attempts: number;
  /** Every secret and token value the requests carried, to mask (`hiddenForms`). */
  readonly values: readonly string[];
}

type Ready = Extract<Prepared, { ok: true }>;
/** Prepares the job's request; `refresh`: with credentials read again past the caches. */
export type Prepare = (refresh: boolean) => Prepared | Promise<Prepared>;
/** Makes request number `n` (from 1, over the whole run) of `probe`. */
export type SendAttempt = (probe: BaseProbe, n: number, signal: AbortSignal) => Promise<Attempt>;

const isRefusedSend = (result: unknown) => {
  const sent = result as Sent | Unprepared;
  return sent.ok && isAuthRefusal(sent.final);
};

/**
 * The requests of a run, from preparing them to the final attempt: the attempts policy, and for a
 * job that carries credentials (`carriesCredentials`) a re-send around it: when the target refuses
 * the credentials (401/403), they are read again past the caches and, if any changed (a rotated
 * secret), the request is sent once more, through the attempts policy again. Built once per job.
 */
export class RequestPolicy {
  readonly #attempts: AttemptsPolicy;
  /** One more try on a refusal, at once; absent for a job without credentials (nothing to refresh). */
  readonly #resend: RetryPolicy | undefined;

  constructor(job: Job, now: () => number) {
    this.#attempts = new AttemptsPolicy(job, now);
    this.#resend = carriesCredentials(job) ? retry(handleWhenResult(isRefusedSend), { maxAttempts: 1 }) : undefined;
  }

  /** The run's requests; not `ok` when a secret or token could not be obtained (nothing was sent). */
  async execute(prepare: Prepare, send: SendAttempt, signal: AbortSignal | undefined): Promise<Sent | Unprepared> {
    if (!this.#resend) {
      const prepared = await prepare(false);
      return prepared.ok ? this.#send(prepared, send, 0, signal) : prepared;
    }
    let first: Sent | undefined;
    return (await this.#resend.execute(async ({ attempt: resend }) => {
      const prepared = await prepare(resend > 0);
      if (!first) {
        if (!prepared.ok) return prepared;
        first = await this.#send(prepared, send, 0, signal);
        return first;
      }
      // The target refused, and reading again changed nothing (or failed): the refusal stands.
      const before = first.values;
      if (!prepared.ok || prepared.values.every((value, i) => value === before[i])) return first;
      const again = await this.#send(prepared, send, first.attempts, signal);
      return { ...again, attempts: first.attempts + again.attempts, values: [...before, ...prepared.values] };
    }, signal)) as Sent | Unprepared;
  }

  async #send({ probe, values }: Ready, send: SendAttempt, done: number, signal: AbortSignal | undefined): Promise<Sent> {
    const { final, attempts } = await this.#attempts.execute((n, inner) => send(probe, done + n, inner), signal);
    return { ok: true, final, attempts, values };
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
