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
  type TimeoutPolicy,
  type IBackoff,
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
 *
 * The common run is one attempt that is not transient, so the layers are arranged for it: the first
 * attempt runs through the per-attempt timeout alone (the deadline is never shorter than the
 * timeout, so it cannot bind then), and the retry policy is entered only when that attempt may be
 * retried, handed its result as its own first try (no second request), so the retry rule, the
 * backoff and the attempt count are those of `deadline(retry(timeout))`. A later attempt that the
 * deadline would cut short listens to the deadline too (`#attempt`); a backoff delay is clamped to
 * the deadline, and an attempt due after it is not made.
 */
export class AttemptsPolicy {
  readonly #timeout: TimeoutPolicy;
  readonly #retry: RetryPolicy | undefined;

  constructor(
    readonly job: Job,
    readonly now: () => number,
  ) {
    this.#timeout = timeout(job.timeoutMs, COOPERATIVE);
    if (job.retry.maxAttempts === 1) return;
    const exponential = new ExponentialBackoff({ initialDelay: job.retry.initialDelayMs, maxDelay: job.retry.maxDelayMs });
    const backoff = new DelegateBackoff<IRetryBackoffContext<Tries>, IBackoff<unknown>>((context, previous) => {
      const next = previous ? previous.next(context) : exponential.next();
      if (!('value' in context.result)) return { delay: next.duration, state: next };
      const tries = context.result.value;
      const wait = Math.max(next.duration, retryAfterMs(tries.final, now()) ?? 0);
      return { delay: Math.max(0, Math.min(wait, tries.deadlineAt - now())), state: next };
    });
    this.#retry = retry(handleWhenResult((result) => this.#retryable(result as Tries)), { maxAttempts: job.retry.maxAttempts - 1, backoff });
  }

  /**
   * Runs attempts until one is not transient, the attempts are spent or the deadline passes; returns
   * the final attempt and how many requests were made. `attempt(n, signal)` makes request number n.
   */
  async execute(attempt: (n: number, signal: AbortSignal) => Promise<Attempt>, signal: AbortSignal | undefined): Promise<{ readonly final: Attempt; readonly attempts: number }> {
    const tries = new Tries(this.now() + this.job.retry.deadlineMs);
    await this.#attempt(tries, attempt, signal);
    if (!this.#retry || signal?.aborted || !this.#retryable(tries)) return tries;
    await this.#retry.execute(({ attempt: n }) => (n === 0 ? tries : this.#attempt(tries, attempt, signal)), signal);
    return tries;
  }

  // Retry only what may pass on its own, and only when the wait the server asks for fits the deadline.
  #retryable({ final, deadlineAt }: Tries): boolean {
    return isTransient(final) && (retryAfterMs(final, this.now()) ?? 0) < deadlineAt - this.now();
  }

  /** One attempt in its timeout, and in what is left of the deadline when that is shorter. */
  #attempt(tries: Tries, attempt: (n: number, signal: AbortSignal) => Promise<Attempt>, signal: AbortSignal | undefined): Promise<Tries> {
    // The deadline passed during a backoff delay: keep the last real attempt rather than make another.
    const left = tries.deadlineAt - this.now();
    if (tries.attempts > 0 && left <= 0) return Promise.resolve(tries);
    return this.#timeout.execute(async ({ signal: inner }) => {
      if (inner.aborted && tries.attempts > 0) return tries;
      // The first attempt needs no deadline of its own: it is never shorter than the timeout.
      const cut = tries.attempts > 0 && left < this.job.timeoutMs;
      tries.attempts += 1;
      tries.final = cut ? await withDeadline(inner, left, (deadline) => attempt(tries.attempts, deadline)) : await attempt(tries.attempts, inner);
      return tries;
    }, signal);
  }
}

/** Runs `fn` with a signal that aborts with `signal` or after `ms`, whichever comes first. */
async function withDeadline<T>(signal: AbortSignal, ms: number, fn: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const cut = new AbortController();
  const abort = () => cut.abort(signal.reason);
  const timer = setTimeout(() => cut.abort(), ms);
  signal.addEventListener('abort', abort, { once: true });
  try {
    return await fn(cut.signal);
  } finally {
    clearTimeout(timer);
    signal.removeEventListener('abort', abort);
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
  execute(prepare: Prepare, send: SendAttempt, signal: AbortSignal | undefined): Promise<Sent | Unprepared> {
    if (this.#resend) return this.#withResend(this.#resend, prepare, send, signal);
    // A job without credentials is prepared at once (no secret to read): sent without waiting a turn.
    let prepared: Prepared | Promise<Prepared>;
    try {
      prepared = prepare(false);
    } catch (error) {
      return Promise.reject(error as Error);
    }
    if (prepared instanceof Promise) return prepared.then((ready): Sent | Unprepared | Promise<Sent> => (ready.ok ? this.#send(ready, send, 0, signal) : ready));
    return prepared.ok ? this.#send(prepared, send, 0, signal) : Promise.resolve(prepared);
  }

  async #withResend(resend: RetryPolicy, prepare: Prepare, send: SendAttempt, signal: AbortSignal | undefined): Promise<Sent | Unprepared> {
    let first: Sent | undefined;
    return (await resend.execute(async ({ attempt: resent }) => {
      const prepared = await prepare(resent > 0);
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
