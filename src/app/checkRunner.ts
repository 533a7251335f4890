import { BulkheadPolicy, CircuitBreakerPolicy, isBrokenCircuitError, isBulkheadRejectedError } from 'cockatiel';
import type { Job } from '../domain/job.js';
import { judge, type Attempt, type Verdict } from '../domain/outcome.js';
import type { Run, RunErrorKind, Trigger } from '../domain/run.js';
import { INITIAL_STATE, decideState } from '../domain/state.js';
import { attemptsPolicy, breakerPolicy, circuitStateName } from './policy.js';
import type { Clock, Logger, Prober, StateStore, Telemetry } from './ports/index.js';

/** Which run this is. */
export interface RunRequest {
  readonly runId: string;
  readonly trigger: Trigger;
  /** Epoch ms the run was due (for manual runs: when it was asked for). */
  readonly scheduledAt: number;
  readonly catchUp?: boolean;
}

export interface CheckRunnerDeps {
  readonly prober: Prober;
  readonly clock: Clock;
  readonly store: StateStore;
  readonly telemetry: Telemetry;
  readonly logger: Logger;
  /** Bounds the checks running at once in this process; excess waits in its queue. */
  readonly bulkhead: BulkheadPolicy;
  /** Reported with every run. */
  readonly location: string;
}

interface Outcome {
  readonly attempts: number;
  readonly final: Attempt;
  readonly verdict: Verdict;
}

/**
 * Runs one check end to end: bulkhead → circuit breaker → deadline → retry → per-attempt timeout →
 * HTTP attempt → conditions → verdict; then records the run, the job's state and the telemetry.
 * A failed check is a `down` run, never an exception.
 */
export class CheckRunner {
  readonly #deps: CheckRunnerDeps;
  readonly #running = new Set<string>();

  constructor(deps: CheckRunnerDeps) {
    this.#deps = deps;
  }

  /** Checks currently running. */
  get inFlight(): number {
    return this.#running.size;
  }

  async run(job: Job, request: RunRequest, signal?: AbortSignal): Promise<Run> {
    const { bulkhead, clock } = this.#deps;
    let run: Run;
    if (this.#running.has(job.name) && request.trigger === 'schedule') {
      run = this.#skipped(job, request, clock.now(), 'overlap', 'the previous run of this job is still in progress');
    } else {
      try {
        run = await bulkhead.execute(() => this.#guarded(job, request, signal));
      } catch (error) {
        if (!isBulkheadRejectedError(error)) throw error;
        run = this.#skipped(job, request, clock.now(), 'overloaded', 'too many checks are queued in this instance');
      }
    }
    await this.#record(job, run);
    return run;
  }

  async #guarded(job: Job, request: RunRequest, signal: AbortSignal | undefined): Promise<Run> {
    this.#running.add(job.name);
    try {
      return await this.#execute(job, request, signal);
    } catch (error) {
      this.#deps.logger.error({ err: error, job: job.name, runId: request.runId }, 'check failed unexpectedly');
      return this.#skipped(job, request, this.#deps.clock.now(), 'internal', 'Pulsecheck failed to run the check', 'error');
    } finally {
      this.#running.delete(job.name);
    }
  }

  async #execute(job: Job, request: RunRequest, signal: AbortSignal | undefined): Promise<Run> {
    const { clock, store, telemetry } = this.#deps;
    const startedAt = clock.now();
    const saved = job.circuitBreaker ? await store.loadCircuit(job.name) : undefined;
    const breaker = breakerPolicy(job.circuitBreaker, saved, (result) => (result as Outcome).verdict.status !== 'up');
    if (breaker instanceof CircuitBreakerPolicy) {
      breaker.onStateChange((state) => telemetry.circuitChanged(job.name, circuitStateName(state)));
    }
    let outcome: Outcome;
    try {
      outcome = await breaker.execute(({ signal: inner }) => this.#attempts(job, request, inner), signal);
    } catch (error) {
      if (!isBrokenCircuitError(error)) throw error;
      return this.#skipped(job, request, startedAt, 'circuit-open', 'the circuit breaker is open after consecutive failures');
    } finally {
      if (breaker instanceof CircuitBreakerPolicy) {
        const state = breaker.toJSON();
        if (JSON.stringify(state) !== JSON.stringify(saved)) await store.saveCircuit(job.name, state);
      }
    }
    const { final, verdict, attempts } = outcome;
    return {
      ...this.#base(job, request, startedAt),
      durationMs: Math.round(clock.now() - startedAt),
      attempts,
      ...verdict,
      timings: final.timings,
      ...(final.type === 'response' && final.certificateExpiresAt !== undefined
        ? { certificateExpiresAt: new Date(final.certificateExpiresAt).toISOString() }
        : {}),
      ...this.#where(request),
    };
  }

  async #attempts(job: Job, request: RunRequest, signal: AbortSignal): Promise<Outcome> {
    const { clock, prober } = this.#deps;
    let attempts = 0;
    let last: Attempt | undefined;
    const final = await attemptsPolicy(job, () => clock.now()).execute(async ({ signal }) => {
      // The deadline passed during a backoff delay: keep the last real attempt rather than make another.
      if (signal.aborted && last) return last;
      attempts += 1;
      last = await prober.probe(
        {
          url: job.url,
          method: job.method,
          headers: job.headers,
          ...(job.body === undefined ? {} : { body: job.body }),
          readBody: job.readBody,
          insecureSkipVerify: job.insecureSkipVerify,
          runId: request.runId,
          attempt: attempts,
        },
        signal,
      );
      return last;
    }, signal);
    return { attempts, final: final as Attempt, verdict: judge(job.conditions, final as Attempt, clock.now()) };
  }

  #base(job: Job, request: RunRequest, startedAt: number) {
    return {
      runId: request.runId,
      job: job.name,
      trigger: request.trigger,
      scheduledAt: new Date(request.scheduledAt).toISOString(),
      startedAt: new Date(startedAt).toISOString(),
    };
  }

  #where(request: RunRequest) {
    return { location: this.#deps.location, ...(request.catchUp ? { catchUp: true } : {}) };
  }

  #skipped(job: Job, request: RunRequest, at: number, kind: RunErrorKind, message: string, status: 'skipped' | 'error' = 'skipped'): Run {
    return {
      ...this.#base(job, request, at),
      durationMs: 0,
      attempts: 0,
      status,
      success: false,
      httpStatus: null,
      conditions: [],
      error: { kind, message },
      ...this.#where(request),
    };
  }

  /** Persists the run and the job's new state and tells telemetry. Store faults are logged, not thrown. */
  async #record(job: Job, run: Run): Promise<void> {
    const { store, telemetry, logger } = this.#deps;
    telemetry.runCompleted(run, job);
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
