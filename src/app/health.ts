import { deadlineOf, LATE } from '../domain/deadline.js';
import type { CheckRunner } from './checkRunner.js';
import type { Dispatcher } from './dispatcher.js';
import type { Clock, ComponentHealth, DispatcherStateStore, HealthContributor, JobCatalog } from './ports/index.js';

export interface HealthDeps {
  readonly catalog: JobCatalog;
  readonly store: Pick<DispatcherStateStore, 'loadLastTick'>;
  readonly clock: Clock;
  readonly runner: Pick<CheckRunner, 'inFlight'>;
  readonly dispatcher: Pick<Dispatcher, 'lastTickAt' | 'longRunning'>;
  readonly version: string;
  /** Interval of the dispatcher timer, in ms: a last tick older than 3 of them makes health degraded. */
  readonly tickIntervalMs: number;
  /** Dependencies that report their own health (store, secrets, telemetry sinks). */
  readonly contributors?: readonly HealthContributor[];
  /** How long `/api/health` waits for each dependency, in ms. Default 800, so it answers within 1 s. */
  readonly healthDeadlineMs?: number;
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

/** The app's own health (`/api/health`): the dispatcher's, the job catalog's and each contributor's. */
export class Health {
  readonly #deps: HealthDeps;
  readonly #startedAt: number;

  constructor(deps: HealthDeps) {
    this.#deps = deps;
    this.#startedAt = deps.clock.now();
  }

  /**
   * Answers within `healthDeadlineMs` whatever a dependency does: each part is raced against one
   * deadline, and a contributor that does not answer in time is `degraded`.
   */
  async report(): Promise<HealthReport> {
    const { store, clock, catalog, runner, dispatcher, version, contributors = [], healthDeadlineMs = HEALTH_DEADLINE_MS } = this.#deps;
    const due = clock.now() + healthDeadlineMs;
    const deadline = deadlineOf((signal) => clock.sleepUntil(due, signal));
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
}
