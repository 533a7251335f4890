import { randomBytes } from 'node:crypto';
import { PulsecheckError, notFound } from '../domain/errors.js';
import type { Run } from '../domain/run.js';
import { INITIAL_STATE } from '../domain/state.js';
import type { AlertChannels } from './channels.js';
import type { CheckRunner } from './checkRunner.js';
import type { Dispatcher, TickReport } from './dispatcher.js';
import type { JobAdmin } from './jobAdmin.js';
import type { Job } from '../domain/job.js';
import type { RequestKind } from '../domain/access.js';
import type { Clock, ComponentHealth, HealthContributor, JobCatalog, MetricsExposition, RateDecision, RateLimiter, DispatcherStateStore, JobStateStore, StoreLifecycle, Telemetry } from './ports/index.js';
import { deadlineIn, LATE } from './deadline.js';
import { checkSecrets, type SecretCheck, type SecretResolver } from './secrets.js';
import { jobDetailView, jobViewJson, type JobView } from './views.js';

export interface PulsecheckDeps {
  readonly catalog: JobCatalog;
  readonly store: JobStateStore & Pick<DispatcherStateStore, 'loadLastTick'> & Pick<StoreLifecycle, 'flush'>;
  readonly clock: Clock;
  readonly runner: CheckRunner;
  readonly dispatcher: Dispatcher;
  readonly telemetry: Telemetry;
  readonly version: string;
  /** Interval of the dispatcher timer, in ms: a last tick older than 3 of them makes health degraded. */
  readonly tickIntervalMs: number;
  /** Dependencies that report their own health (store, secrets, telemetry sinks). */
  readonly contributors?: readonly HealthContributor[];
  /** Resolves the jobs' secrets (issue 3). */
  readonly secrets?: SecretResolver;
  /** Prometheus metrics for `GET /api/metrics`; unset when that sink is off. */
  readonly metrics?: MetricsExposition;
  /** The management API's use cases (job CRUD, history, audit, retention). */
  readonly admin: JobAdmin;
  /** Per-caller request budgets of the HTTP API; unset: unlimited. */
  readonly limiter?: RateLimiter;
  /** How long `/api/health` waits for each dependency, in ms. Default 800, so it answers within 1 s. */
  readonly healthDeadlineMs?: number;
  /** The jobs file's notification channels (issue 15). */
  readonly channels: AlertChannels;
}

const HEALTH_DEADLINE_MS = 800;

export interface HealthReport {
  readonly status: 'ok' | 'degraded';
  readonly version: string;
  readonly uptimeSeconds: number;
  /** `null` when the job catalog did not answer within the deadline. */
  readonly jobs: number | null;
  readonly runningChecks: number;
  readonly lastTickAt: string | null;
  readonly lastTickAgeSeconds: number | null;
  /** `dispatcher` and one entry per contributor. */
  readonly checks: Readonly<Record<string, ComponentHealth>>;
}

/** The use cases the functions call: one object, so handlers stay a few lines each. */
export class Pulsecheck {
  readonly #deps: PulsecheckDeps;
  readonly #startedAt: number;
  /** Aborted at shutdown: no new run starts. */
  readonly #stop = new AbortController();
  /** Aborted when the shutdown grace period ends: runs in flight are cut short. */
  readonly #abort = new AbortController();
  readonly #busy = new Set<Promise<unknown>>();
  #lastList: { parts: string[]; text: string } | undefined;

  /** Job CRUD, history, audit and retention. */
  readonly jobs: JobAdmin;
  /** Notification channels: send an alert event, test a channel. */
  readonly channels: AlertChannels;

  constructor(deps: PulsecheckDeps) {
    this.#deps = deps;
    this.#startedAt = deps.clock.now();
    this.jobs = deps.admin;
    this.channels = deps.channels;
  }

  /** The app's version (package.json). */
  get version(): string {
    return this.#deps.version;
  }

  /** The dispatcher timer: plans and runs due checks, then flushes telemetry. */
  tick(): Promise<TickReport> {
    if (this.#stop.signal.aborted) return Promise.resolve({ planned: 0, started: 0, runs: [], running: 0 });
    return this.#track(async () => {
      try {
        // Ends at the tick's horizon; runs still going on are awaited by `shutdown`, not here.
        return await this.#deps.dispatcher.tick({ stop: this.#stop.signal, abort: this.#abort.signal });
      } finally {
        await Promise.all([this.#deps.telemetry.flush(), this.#deps.store.flush()]);
      }
    });
  }

  /**
   * Stops starting runs, lets those in flight finish for up to `graceMs`, then aborts them (they are
   * recorded as timeouts) and waits for them to settle.
   */
  async shutdown(graceMs: number): Promise<void> {
    this.#stop.abort(new Error('shutting down'));
    // The ticks and manual runs, and the scheduled runs that outlived their tick.
    const settled = Promise.allSettled([...this.#busy]).then(() => this.#deps.dispatcher.settled());
    let timer: NodeJS.Timeout | undefined;
    const graceOver = new Promise<'late'>((resolve) => (timer = setTimeout(() => resolve('late'), graceMs)));
    if ((await Promise.race([settled, graceOver])) === 'late') this.#abort.abort(new Error('shutdown grace period over'));
    clearTimeout(timer);
    await settled;
    await Promise.all([this.#deps.telemetry.flush(), this.#deps.store.flush()]);
  }

  #track<T>(fn: () => Promise<T>): Promise<T> {
    const promise = fn();
    this.#busy.add(promise);
    void promise.finally(() => this.#busy.delete(promise)).catch(() => undefined);
    return promise;
  }

  /**
   * Every job with its state, as the JSON text `{ "jobs": [JobView, …] }` (see `jobViewJson`); the
   * same text as last time when no job's part changed.
   */
  async listJobsJson(): Promise<string> {
    const { catalog, store, clock } = this.#deps;
    const [jobs, states] = await Promise.all([catalog.list(), store.loadStates()]);
    const now = clock.now();
    const parts = jobs.map((job) => jobViewJson(job, states.get(job.name) ?? INITIAL_STATE, now));
    const last = this.#lastList;
    if (last && last.parts.length === parts.length && parts.every((part, i) => part === last.parts[i])) return last.text;
    this.#lastList = { parts, text: `{"jobs":[${parts.join(',')}]}` };
    return this.#lastList.text;
  }

  /** One job with its state and definition: as written, or with `resolved` as it runs. */
  async getJob(name: string, resolved = false): Promise<JobView> {
    const { catalog, store, clock } = this.#deps;
    const job = await catalog.get(name);
    if (!job) throw notFound(`job "${name}"`);
    return jobDetailView(job, (await store.loadState(job.name)) ?? INITIAL_STATE, clock.now(), resolved);
  }

  /** Runs a job now (trigger `manual`), even if disabled, and returns the run. */
  async runNow(name: string): Promise<Run> {
    const job = await this.#deps.catalog.get(name);
    if (!job) throw notFound(`job "${name}"`);
    return this.#runManually(job, false);
  }

  /**
   * Runs an unsaved job once (trigger `manual`) and returns the run, without recording it in any
   * job's history or state; its circuit breaker is off, so no stored circuit is read or changed.
   */
  async runUnsaved(job: Job): Promise<Run> {
    return this.#runManually(job, true);
  }

  /** A manual run, tracked for shutdown; what it wrote is flushed before it is returned. */
  async #runManually(job: Job, unsaved: boolean): Promise<Run> {
    const { clock, runner, telemetry, store } = this.#deps;
    if (this.#stop.signal.aborted) throw new PulsecheckError('unavailable', 'Pulsecheck is shutting down');
    const now = clock.now();
    const runId = `${job.name}@${new Date(now).toISOString()}~${unsaved ? 'unsaved-' : ''}${randomBytes(3).toString('hex')}`;
    const request = { runId, trigger: 'manual', scheduledAt: now, ...(unsaved ? { record: false } : {}) } as const;
    return this.#track(async () => {
      try {
        return await runner.run(unsaved ? { ...job, circuitBreaker: null } : job, request, this.#abort.signal);
      } finally {
        await Promise.all([telemetry.flush(), ...(unsaved ? [] : [store.flush()])]);
      }
    });
  }

  /** The Prometheus metrics as text exposition; `not_found` when that sink is off. */
  async metrics(): Promise<{ contentType: string; text: string }> {
    const { metrics } = this.#deps;
    if (!metrics) throw notFound('Prometheus metrics (PULSECHECK_PROMETHEUS is false)');
    return { contentType: metrics.contentType, text: await metrics.expose() };
  }

  /** Takes one request of `kind` from `caller`'s budget (see `RateLimiter`); always allowed without a limiter. */
  admit(caller: string, kind: RequestKind): Promise<RateDecision> {
    return this.#deps.limiter?.take(caller, kind) ?? Promise.resolve({ allowed: true });
  }

  /**
   * The app's own health. Answers within `healthDeadlineMs` whatever a dependency does: each part is
   * raced against one deadline, and a contributor that does not answer in time is `degraded`.
   */
  async health(): Promise<HealthReport> {
    const { store, clock, catalog, runner, dispatcher, version, contributors = [], healthDeadlineMs = HEALTH_DEADLINE_MS } = this.#deps;
    const deadline = deadlineIn(clock, healthDeadlineMs);
    const late: ComponentHealth = { status: 'degraded', detail: `no answer within ${healthDeadlineMs} ms` };
    const [stored, jobs, ...reports] = await Promise.all([
      deadline.race(() => store.loadLastTick()).catch((): typeof LATE => LATE),
      deadline.race(async () => (await catalog.list()).length).catch((): typeof LATE => LATE),
      ...contributors.map((contributor) =>
        deadline.race(() => contributor.health()).then(
          (health): ComponentHealth => (health === LATE ? late : health),
          (error: unknown): ComponentHealth => ({ status: 'down', detail: `health check failed: ${(error as Error).message}` }),
        ),
      ),
    ]);
    deadline.cancel();
    const now = clock.now();
    // The store's last tick is every instance's; this process's own is the fallback when the store does not answer.
    const lastTick = stored === LATE ? dispatcher.lastTickAt : (stored ?? dispatcher.lastTickAt);
    const ageSeconds = lastTick === undefined ? null : Math.round((now - lastTick) / 1_000);
    const checks: Record<string, ComponentHealth> = { dispatcher: this.#dispatcherHealth(now, ageSeconds) };
    contributors.forEach((contributor, i) => (checks[contributor.name] = reports[i] as ComponentHealth));
    return {
      status: Object.values(checks).some((c) => c.status !== 'ok') ? 'degraded' : 'ok',
      version,
      uptimeSeconds: Math.round((now - this.#startedAt) / 1_000),
      jobs: jobs === LATE ? null : jobs,
      runningChecks: runner.inFlight,
      lastTickAt: lastTick === undefined ? null : new Date(lastTick).toISOString(),
      lastTickAgeSeconds: ageSeconds,
      checks,
    };
  }

  /** The timer fires (a tick within three intervals and a minute), and the checks running longer than their tick. */
  #dispatcherHealth(now: number, ageSeconds: number | null): ComponentHealth {
    const { dispatcher, tickIntervalMs } = this.#deps;
    // Before the first tick completes, give the timer three intervals' grace.
    const reference = ageSeconds ?? Math.round((now - this.#startedAt) / 1_000);
    const long = dispatcher.longRunning();
    const facts = { longRunning: long.length, longRunningJobs: long.map((check) => check.job) };
    const running = long.length === 0 ? '' : `; ${long.length} check${long.length === 1 ? '' : 's'} running longer than their tick: ${facts.longRunningJobs.join(', ')}`;
    if (reference * 1_000 > 3 * tickIntervalMs + 60_000) return { status: 'degraded', detail: `no tick for ${reference}s${running}`, ...facts };
    return { status: 'ok', detail: `${ageSeconds === null ? 'waiting for the first tick' : `last tick ${ageSeconds}s ago`}${running}`, ...facts };
  }

  /** Reads every secret the jobs reference, fresh (`pulsecheck validate --secrets`); `store` names where from. */
  async checkSecrets(): Promise<{ store: string; secrets: SecretCheck[] }> {
    const { catalog, secrets } = this.#deps;
    if (!secrets) throw new PulsecheckError('unavailable', 'no secret store is configured');
    return { store: secrets.store.description, secrets: await checkSecrets(await catalog.list(), secrets) };
  }
}
