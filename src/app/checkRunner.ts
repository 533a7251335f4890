import { type BulkheadPolicy, type CircuitBreakerPolicy, isBrokenCircuitError } from 'cockatiel';
import type { UpstreamDecision } from '../domain/dependencies.js';
import type { CircuitBreakerSpec, Job } from '../domain/job.js';
import { comparisonFor, judge, type Attempt, type JudgeOptions } from '../domain/outcome.js';
import { buildRun, unjudged, unjudgedRun, type Run, type RunIdentity, type Trigger, type Verdict } from '../domain/run.js';
import { activeMaintenance, type OpenWindow } from '../domain/maintenance.js';
import { DEFAULT_SHED_AFTER_MS, shedAfterMs } from '../domain/priority.js';
import { hiddenForms } from '../domain/redact.js';
import { INITIAL_STATE, decideState } from '../domain/state.js';
import { PriorityAdmission } from './admission.js';
import { RequestPolicy, breakerPolicy } from './policy.js';
import type { CircuitState, CircuitStateStore, Clock, JobStateStore, Logger, Prober, RunStore, Telemetry, TraceContext, TracedRun, Tracing } from './ports/index.js';
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
  /** The run falls in a maintenance window: set by `run` from the job's windows at `scheduledAt`. */
  readonly maintenance?: boolean;
  /** Trigger `followup`: the run whose end started this one. */
  readonly parentRunId?: string;
  /** Trigger `followup`: 1 for a follow-up of a scheduled or manual run, 2 for one of that follow-up … */
  readonly followUpDepth?: number;
  /** Scheduled runs of a job with `dependsOn`: what its upstream jobs' state decided (`decideUpstream`). Default: run. */
  readonly upstream?: UpstreamDecision;
}

/** Told of a recorded run (alerts: app/alerting.ts; follow-ups: app/followUps.ts); must return at once, never throw. */
export interface RecordedRunObserver {
  after(job: Job, run: Run, request: RunRequest): void;
}

export interface CheckRunnerDeps {
  readonly prober: Prober;
  readonly clock: Clock;
  readonly store: CircuitStateStore & JobStateStore & RunStore;
  readonly telemetry: Telemetry;
  readonly logger: Logger;
  /**
   * Bounds the checks running at once in this process; its queue size bounds the checks waiting,
   * which wait in priority order (`PriorityAdmission`), not in its own first-come queue.
   */
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
  /**
   * The base lateness bound past which a waiting `background` check is shed (`low`: twice that), in
   * ms (`PULSECHECK_SHED_AFTER_MS`, domain/priority.ts). Default 10 000.
   */
  readonly shedAfterMs?: number;
  /** Told of every recorded run, after the record, in this order (alerts, then follow-ups). Default: none. */
  readonly observers?: readonly RecordedRunObserver[];
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
  readonly requests: RequestPolicy;
  /** How the job's runs are judged when their requests carried no secret. */
  readonly judging: JudgeOptions;
  breaker?: CachedBreaker;
}

// A run that could not call the target (status `error`: a secret was unavailable) says nothing about it.
const isFailedOutcome = (result: unknown) => (result as Outcome).verdict.status === 'down';
const NOTHING_HIDDEN: readonly string[] = [];
const ABORTED = unjudged('aborted', 'Pulsecheck stopped before the check finished; the next run repeats it', 'skipped');

/**
 * Runs one check, top to bottom:
 * 0. maintenance: in a window of the job (domain/maintenance.ts) the run is marked `maintenance`; a
 *    scheduled occurrence in a `pause` window is `skipped` (maintenance) without a request;
 * 1. admission: a scheduled run of a job whose previous run is still going is `skipped` (overlap);
 *    the bulkhead bounds the checks in flight, and what waits for it starts in priority order
 *    (`overloaded` past its queue, or shed when a low priority waits too long: admission.ts);
 * 2. the job's circuit breaker, its state from the store, lets the run through or skips it (`circuit-open`);
 * 3. the requests, through the job's `RequestPolicy` (policy.ts): prepare (secrets, auth) → re-send on
 *    401/403 → deadline → retry → per-attempt timeout → the prober;
 * 4. the verdict (`judge`) and the run (`buildRun`);
 * 5. the record: telemetry, the run and the job's next state in the store; then the alerts, in the background.
 * A failed check is a `down` run, never an exception. Policies are built once per job definition.
 */
export class CheckRunner {
  readonly #deps: CheckRunnerDeps;
  readonly #running = new Set<string>();
  readonly #policies = new WeakMap<Job, JobPolicies>();
  readonly #authorizer: RequestAuthorizer;
  readonly #admission: PriorityAdmission;
  readonly #apiAdmission: PriorityAdmission;
  /** The checks' own signals, per signal callers pass (the shutdown's). */
  readonly #children = new WeakMap<AbortSignal, ChildSignals>();

  constructor(deps: CheckRunnerDeps) {
    this.#deps = deps;
    this.#authorizer = deps.authorizer ?? new RequestAuthorizer({ clock: deps.clock });
    const { bulkhead, apiBulkhead = bulkhead, clock, shedAfterMs: shedAfter = DEFAULT_SHED_AFTER_MS } = deps;
    this.#admission = new PriorityAdmission(bulkhead, clock, shedAfter);
    this.#apiAdmission = apiBulkhead === bulkhead ? this.#admission : new PriorityAdmission(apiBulkhead, clock, shedAfter);
  }

  /** Checks currently running. */
  get inFlight(): number {
    return this.#running.size;
  }

  async run(job: Job, asked: RunRequest, signal?: AbortSignal): Promise<Run> {
    const window = activeMaintenance(job.maintenance, asked.scheduledAt);
    const request = window ? { ...asked, maintenance: true } : asked;
    const traced = this.#notRun(job, request, window) ?? (await this.#admit(job, request, signal));
    if (request.record === false) {
      this.#deps.telemetry.runCompleted(traced.run, job, traced.trace);
      return traced.run;
    }
    await this.#record(job, traced.run, traced.trace);
    for (const observer of this.#deps.observers ?? []) observer.after(job, traced.run, request);
    return traced.run;
  }

  /**
   * 0. Occurrences that are not run: a paused maintenance window skips scheduled ones (a run asked
   * for by someone still runs, marked); an upstream job that is down skips them, without admission.
   */
  #notRun(job: Job, request: RunRequest, window: OpenWindow | undefined): TracedRun | undefined {
    const now = this.#deps.clock.now();
    if (window?.checks === 'pause' && request.trigger === 'schedule') {
      return { run: unjudgedRun(this.#identity(job, request), now, 'maintenance', `paused by maintenance window "${window.name}" until ${new Date(window.end).toISOString()}`) };
    }
    if (request.upstream?.action === 'skip') return { run: unjudgedRun(this.#identity(job, request), now, 'upstream-down', request.upstream.message) };
    return undefined;
  }

  /** 1. Admission: overlap, then the bulkhead, in priority order. */
  async #admit(job: Job, request: RunRequest, signal: AbortSignal | undefined): Promise<TracedRun> {
    const { clock } = this.#deps;
    if (this.#running.has(job.name) && request.trigger === 'schedule') {
      return { run: unjudgedRun(this.#identity(job, request), clock.now(), 'overlap', 'the previous run of this job is still in progress') };
    }
    const { priority } = job;
    // A run a person asked for waits its turn but is not shed for lateness.
    const ticket = { priority, scheduledAt: request.scheduledAt, sheddable: request.trigger !== 'manual' };
    const admission = await (job.source === 'api' ? this.#apiAdmission : this.#admission).admit(ticket, () => this.#guarded(job, request, signal));
    if (admission.admitted) return admission.value;
    const now = clock.now();
    const message =
      admission.reason === 'full'
        ? 'too many checks are queued in this instance'
        : `a ${priority} check waited longer than ${shedAfterMs(priority, this.#deps.shedAfterMs ?? DEFAULT_SHED_AFTER_MS)} ms for a free slot; shed for higher priorities`;
    return { run: unjudgedRun(this.#identity(job, request), now, 'overloaded', message) };
  }

  /** The check as one running job, in its span; a fault of Pulsecheck's own is an `error` run. */
  async #guarded(job: Job, request: RunRequest, shared: AbortSignal | undefined): Promise<TracedRun> {
    const { tracing, logger, clock } = this.#deps;
    this.#running.add(job.name);
    // The check's own signal, aborted with the caller's: the policies listen to it, not to the
    // caller's signal that every running check shares (an AbortSignal finds a listener by walking
    // its list, so a thousand checks listening to one signal cost a million steps per burst).
    const own = shared && this.#childSignals(shared).open();
    const signal = own?.signal;
    try {
      // The span is active while the check runs, so its HTTP requests become child spans.
      return tracing ? await tracing.traceCheck(job, request.runId, () => this.#check(job, request, signal)) : { run: await this.#check(job, request, signal) };
    } catch (error) {
      logger.error({ err: error, job: job.name, runId: request.runId }, 'check failed unexpectedly');
      return { run: unjudgedRun(this.#identity(job, request), clock.now(), 'internal', 'Pulsecheck failed to run the check', 'error') };
    } finally {
      this.#running.delete(job.name);
      if (own) this.#childSignals(shared as AbortSignal).close(own);
    }
  }

  #childSignals(parent: AbortSignal): ChildSignals {
    let children = this.#children.get(parent);
    if (!children) this.#children.set(parent, (children = new ChildSignals(parent)));
    return children;
  }

  /** 2-4. The breaker around the requests and their verdict; the run. */
  async #check(job: Job, request: RunRequest, signal: AbortSignal | undefined): Promise<Run> {
    const { clock } = this.#deps;
    const startedAt = clock.now();
    const policies = this.#policiesFor(job);
    const breaker = job.circuitBreaker ? await this.#breaker(job, policies) : undefined;
    let outcome: Outcome;
    try {
      // The breaker hands the function the signal it was given: `signal` itself (no signal: none,
      // rather than one never aborted that every check would listen to).
      outcome = breaker
        ? await breaker.policy.execute(() => this.#send(job, policies, request, signal), signal)
        : await this.#send(job, policies, request, signal);
    } catch (error) {
      if (!isBrokenCircuitError(error)) throw error;
      return unjudgedRun(this.#identity(job, request), startedAt, 'circuit-open', 'the circuit breaker is open after consecutive failures');
    } finally {
      const saving = breaker && this.#saveBreaker(job, breaker);
      if (saving) await saving;
    }
    const { attempts, verdict, final } = outcome;
    return buildRun(this.#identity(job, request), { startedAt, durationMs: Math.round(clock.now() - startedAt), attempts, verdict, final });
  }

  /** 3-4. The requests and the verdict on the final attempt. */
  async #send(job: Job, policies: JobPolicies, request: RunRequest, signal: AbortSignal | undefined): Promise<Outcome> {
    const { clock, prober } = this.#deps;
    const { runId } = request;
    const sent = await policies.requests.execute(
      (refresh) => this.#authorizer.prepare(job, refresh),
      (probe, attempt, inner) => prober.probe({ ...probe, runId, attempt }, inner),
      signal,
    );
    if (!sent.ok) return { attempts: 0, verdict: unjudged(sent.blocked ? 'blocked-target' : 'secret-unavailable', sent.message, 'error') };
    const { final, attempts, values } = sent;
    // Cut short by the caller (shutdown), not failed by the target: no verdict, no breaker failure.
    if (signal?.aborted && final.type === 'failure') return { attempts, final, verdict: ABORTED };
    const options = values.length === 0 ? policies.judging : { ...policies.judging, hidden: hiddenForms(values) };
    return { attempts, final, verdict: judge(job.conditions, final, clock.now(), options) };
  }

  #identity(job: Job, request: RunRequest): RunIdentity {
    const { runId, trigger, scheduledAt, catchUp, maintenance, parentRunId, upstream } = request;
    // Built field by field, not with spreads of optional parts: one object per run on the check path.
    const id: { -readonly [K in keyof RunIdentity]: RunIdentity[K] } = { runId, job: job.name, trigger, scheduledAt, location: this.#deps.location };
    if (catchUp) id.catchUp = catchUp;
    if (maintenance) id.maintenance = maintenance;
    if (parentRunId !== undefined) id.parentRunId = parentRunId;
    if (upstream?.action === 'silent') id.suppressed = upstream.suppressed;
    return id;
  }

  /** Policies are built once per job (a reloaded job is a new object, with new policies). */
  #policiesFor(job: Job): JobPolicies {
    let policies = this.#policies.get(job);
    if (!policies) {
      const judging: JudgeOptions = { hidden: NOTHING_HIDDEN, compare: comparisonFor(job.source), ...(job.degradedConditions ? { degraded: job.degradedConditions } : {}) };
      policies = { requests: new RequestPolicy(job, () => this.#deps.clock.now()), judging };
      this.#policies.set(job, policies);
    }
    return policies;
  }

  /**
   * The job's breaker as the store has it. The instance is kept while the stored state is the one
   * this process wrote last; when another instance changed it, the breaker is rebuilt from it.
   */
  async #breaker(job: Job, policies: JobPolicies): Promise<CachedBreaker> {
    let stored: string | undefined;
    try {
      stored = await this.#deps.store.loadCircuit(job.name);
    } catch (error) {
      // If the store cannot be read, the breaker this process has goes on: the check still runs.
      this.#deps.logger.warn({ err: error, job: job.name }, 'circuit state could not be read; using the one in memory');
      stored = policies.breaker?.serialized;
    }
    if (!policies.breaker || policies.breaker.serialized !== stored) {
      const onChange = (state: CircuitState) => this.#deps.telemetry.circuitChanged(job.name, state);
      const policy = breakerPolicy(job.circuitBreaker as CircuitBreakerSpec, stored, isFailedOutcome, onChange);
      policies.breaker = { policy, serialized: stored };
    }
    return policies.breaker;
  }

  /** Saves the breaker's state if it changed; undefined when it did not (most runs: nothing to wait for). */
  #saveBreaker(job: Job, breaker: CachedBreaker): Promise<void> | undefined {
    const serialized = JSON.stringify(breaker.policy.toJSON());
    if (serialized === breaker.serialized) return undefined;
    breaker.serialized = serialized;
    return this.#deps.store.saveCircuit(job.name, serialized);
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

/**
 * One signal's children: each running check's own controller, all aborted (with its reason) when the
 * parent aborts, through one listener on the parent whatever the number of checks.
 */
class ChildSignals {
  readonly #open = new Set<AbortController>();

  constructor(readonly parent: AbortSignal) {
    parent.addEventListener('abort', () => {
      for (const child of this.#open) child.abort(parent.reason);
    }, { once: true });
  }

  /** A new child: already aborted when the parent is. */
  open(): AbortController {
    const child = new AbortController();
    if (this.parent.aborted) child.abort(this.parent.reason);
    else this.#open.add(child);
    return child;
  }

  /** The child's check ended: it no longer follows the parent. */
  close(child: AbortController): void {
    this.#open.delete(child);
  }
}
