import { type BulkheadPolicy, type CircuitBreakerPolicy, isBrokenCircuitError, isBulkheadRejectedError } from 'cockatiel';
import type { CircuitBreakerSpec, Job } from '../domain/job.js';
import { comparisonFor, judge, type Attempt, type Verdict } from '../domain/outcome.js';
import type { Run, RunErrorKind, Trigger } from '../domain/run.js';
import { INITIAL_STATE, decideState } from '../domain/state.js';
import { AttemptsPolicy, breakerPolicy } from './policy.js';
import type { CircuitState, CircuitStateStore, Clock, JobStateStore, Logger, Prober, RunStore, Telemetry, TraceContext, TracedRun, Tracing } from './ports/index.js';
import { NO_TRACING } from './ports/tracing.js';
import { RequestAuthorizer } from './requestAuth.js';

/** Which run this is. */
export interface RunRequest {
  readonly runId: string;
  readonly trigger: Trigger;
  /** Epoch ms the run was due (for manual runs: when it was asked for). */
  readonly scheduledAt: number;
  readonly catchUp?: boolean;
  /** `false`: report the run to telemetry only, not to the job's history and state (unsaved jobs). Default true. */
  readonly record?: boolean;
}

export interface CheckRunnerDeps {
  readonly prober: Prober;
  readonly clock: Clock;
  readonly store: CircuitStateStore & JobStateStore & RunStore;
  readonly telemetry: Telemetry;
  readonly logger: Logger;
  /** Bounds the checks running at once in this process; excess waits in its queue. */
  readonly bulkhead: BulkheadPolicy;
  /**
   * The bulkhead of jobs with `source: 'api'` (API jobs and unsaved runs), apart from `bulkhead`, so
   * that however many of them hang, the jobs file's checks still start at once. Default `bulkhead`.
   */
  readonly apiBulkhead?: BulkheadPolicy;
  /** Reported with every run. */
  readonly location: string;
  /** Fills in secrets and auth (issue 3). Default: one without a secret store (jobs naming secrets fail). */
  readonly authorizer?: RequestAuthorizer;
  /** Wraps each check in a span (Datadog). Default: no tracing. */
  readonly tracing?: Tracing;
}

interface Outcome {
  readonly attempts: number;
  /** Absent when no request was made (a secret was unavailable). */
  readonly final?: Attempt;
  readonly verdict: Verdict;
}

interface CachedBreaker {
  readonly policy: CircuitBreakerPolicy;
  /** The state as last read from or written to the store. */
  serialized: string | undefined;
}

interface JobPolicies {
  readonly attempts: AttemptsPolicy;
  breaker?: CachedBreaker;
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

// A run that could not call the target (status `error`: a secret was unavailable) says nothing about it.
const isFailedOutcome = (result: unknown) => (result as Outcome).verdict.status === 'down';
const NEVER = new AbortController().signal;

/**
 * Runs one check end to end: bulkhead → circuit breaker → deadline → retry → per-attempt timeout →
 * HTTP attempt → conditions → verdict; then records the run, the job's state and the telemetry.
 * A failed check is a `down` run, never an exception.
 */
export class CheckRunner {
  readonly #deps: CheckRunnerDeps;
  readonly #running = new Set<string>();
  readonly #policies = new WeakMap<Job, JobPolicies>();
  readonly #authorizer: RequestAuthorizer;

  constructor(deps: CheckRunnerDeps) {
    this.#deps = deps;
    this.#authorizer = deps.authorizer ?? new RequestAuthorizer({ clock: deps.clock });
  }

  /** Checks currently running. */
  get inFlight(): number {
    return this.#running.size;
  }

  async run(job: Job, request: RunRequest, signal?: AbortSignal): Promise<Run> {
    const { clock } = this.#deps;
    const bulkhead = job.source === 'api' ? (this.#deps.apiBulkhead ?? this.#deps.bulkhead) : this.#deps.bulkhead;
    let traced: TracedRun;
    if (this.#running.has(job.name) && request.trigger === 'schedule') {
      traced = { run: this.#skipped(job, request, clock.now(), 'overlap', 'the previous run of this job is still in progress') };
    } else {
      try {
        traced = await bulkhead.execute(() => this.#guarded(job, request, signal));
      } catch (error) {
        if (!isBulkheadRejectedError(error)) throw error;
        traced = { run: this.#skipped(job, request, clock.now(), 'overloaded', 'too many checks are queued in this instance') };
      }
    }
    if (request.record === false) this.#deps.telemetry.runCompleted(traced.run, job, traced.trace);
    else await this.#record(job, traced.run, traced.trace);
    return traced.run;
  }

  async #guarded(job: Job, request: RunRequest, signal: AbortSignal | undefined): Promise<TracedRun> {
    this.#running.add(job.name);
    try {
      // The span is active while the check runs, so its HTTP requests become child spans.
      return await (this.#deps.tracing ?? NO_TRACING).traceCheck(job, request.runId, () => this.#execute(job, request, signal));
    } catch (error) {
      this.#deps.logger.error({ err: error, job: job.name, runId: request.runId }, 'check failed unexpectedly');
      return { run: this.#skipped(job, request, this.#deps.clock.now(), 'internal', 'Pulsecheck failed to run the check', 'error') };
    } finally {
      this.#running.delete(job.name);
    }
  }

  async #execute(job: Job, request: RunRequest, signal: AbortSignal | undefined): Promise<Run> {
    const { clock } = this.#deps;
    const startedAt = clock.now();
    const policies = this.#policiesFor(job);
    const breaker = job.circuitBreaker ? await this.#breaker(job, policies) : undefined;
    const attempts = (inner: AbortSignal) => this.#attempts(job, policies.attempts, request, inner);
    let outcome: Outcome;
    try {
      outcome = breaker ? await breaker.policy.execute(({ signal: inner }) => attempts(inner), signal) : await attempts(signal ?? NEVER);
    } catch (error) {
      if (!isBrokenCircuitError(error)) throw error;
      return this.#skipped(job, request, startedAt, 'circuit-open', 'the circuit breaker is open after consecutive failures');
    } finally {
      if (breaker) await this.#saveBreaker(job, breaker);
    }
    const { final, verdict } = outcome;
    // Built field by field, in the order of the documented result shape (location last).
    const run = {
      runId: request.runId,
      job: job.name,
      trigger: request.trigger,
      scheduledAt: new Date(request.scheduledAt).toISOString(),
      startedAt: new Date(startedAt).toISOString(),
      durationMs: Math.round(clock.now() - startedAt),
      attempts: outcome.attempts,
      status: verdict.status,
      success: verdict.success,
      httpStatus: verdict.httpStatus,
      conditions: verdict.conditions,
    } as Mutable<Run>;
    if (verdict.error) run.error = verdict.error;
    if (final) run.timings = final.timings;
    if (final?.type === 'response' && final.certificateExpiresAt !== undefined) {
      run.certificateExpiresAt = new Date(final.certificateExpiresAt).toISOString();
    }
    run.location = this.#deps.location;
    if (request.catchUp) run.catchUp = true;
    return run;
  }

  async #attempts(job: Job, policy: AttemptsPolicy, request: RunRequest, signal: AbortSignal): Promise<Outcome> {
    const { clock, prober } = this.#deps;
    const { runId } = request;
    const sent = await this.#authorizer.send(job, (probe, done) =>
      policy.execute((attempt, inner) => prober.probe({ ...probe, runId, attempt: done + attempt }, inner), signal),
    );
    if (!sent.ok) {
      const error = { kind: sent.blocked ? 'blocked-target' : 'secret-unavailable', message: sent.message } as const;
      return { attempts: 0, verdict: { status: 'error', success: false, httpStatus: null, conditions: [], error } };
    }
    if (signal.aborted && sent.final.type === 'failure') {
      // Cut short by the caller (shutdown), not failed by the target: no verdict, no breaker failure.
      const error = { kind: 'aborted', message: 'Pulsecheck stopped before the check finished; the next run repeats it' } as const;
      return { attempts: sent.attempts, final: sent.final, verdict: { status: 'skipped', success: false, httpStatus: null, conditions: [], error } };
    }
    const verdict = judge(job.conditions, sent.final, clock.now(), { hidden: sent.hidden, compare: comparisonFor(job.source) });
    return { attempts: sent.attempts, final: sent.final, verdict };
  }

  /** Policies are built once per job (a reloaded job is a new object, with new policies). */
  #policiesFor(job: Job): JobPolicies {
    let policies = this.#policies.get(job);
    if (!policies) {
      policies = { attempts: new AttemptsPolicy(job, () => this.#deps.clock.now()) };
      this.#policies.set(job, policies);
    }
    return policies;
  }

  /**
   * The job's breaker as the store has it. The instance is kept while the stored state is the one
   * this process wrote last; when another instance changed it, the breaker is rebuilt from it.
   */
  async #breaker(job: Job, policies: JobPolicies): Promise<CachedBreaker> {
    // If the store cannot be read, the breaker this process has goes on: the check still runs.
    const stored = await this.#deps.store.loadCircuit(job.name).catch((error: unknown) => {
      this.#deps.logger.warn({ err: error, job: job.name }, 'circuit state could not be read; using the one in memory');
      return policies.breaker?.serialized;
    });
    if (!policies.breaker || policies.breaker.serialized !== stored) {
      const onChange = (state: CircuitState) => this.#deps.telemetry.circuitChanged(job.name, state);
      const policy = breakerPolicy(job.circuitBreaker as CircuitBreakerSpec, stored, isFailedOutcome, onChange);
      policies.breaker = { policy, serialized: stored };
    }
    return policies.breaker;
  }

  async #saveBreaker(job: Job, breaker: CachedBreaker): Promise<void> {
    const serialized = JSON.stringify(breaker.policy.toJSON());
    if (serialized === breaker.serialized) return;
    breaker.serialized = serialized;
    await this.#deps.store.saveCircuit(job.name, serialized);
  }

  #skipped(job: Job, request: RunRequest, at: number, kind: RunErrorKind, message: string, status: 'skipped' | 'error' = 'skipped'): Run {
    return {
      runId: request.runId,
      job: job.name,
      trigger: request.trigger,
      scheduledAt: new Date(request.scheduledAt).toISOString(),
      startedAt: new Date(at).toISOString(),
      durationMs: 0,
      attempts: 0,
      status,
      success: false,
      httpStatus: null,
      conditions: [],
      error: { kind, message },
      location: this.#deps.location,
      ...(request.catchUp ? { catchUp: true } : {}),
    };
  }

  /** Persists the run and the job's new state and tells telemetry. Store faults are logged, not thrown. */
  async #record(job: Job, run: Run, trace: TraceContext | undefined): Promise<void> {
    const { store, telemetry, logger } = this.#deps;
    telemetry.runCompleted(run, job, trace);
    try {
      await store.recordRun(run);
      const { next, effects } = decideState((await store.loadState(job.name)) ?? INITIAL_STATE, run);
      await store.saveState(job.name, next);
      for (const effect of effects) telemetry.healthChanged(effect);
    } catch (error) {
      logger.error({ err: error, job: job.name, runId: run.runId }, 'could not record the run');
    }
  }
}
