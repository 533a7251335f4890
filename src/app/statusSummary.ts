import type { Job } from '../domain/job.js';
import { maintenanceOpenings } from '../domain/maintenanceOpenings.js';
import { uptimePct } from '../domain/sla.js';
import { INITIAL_STATE, type JobState } from '../domain/state.js';
import { incidentsOf, type StatusIncident } from '../domain/statusIncidents.js';
import type { Clock, JobCatalog, JobStateStore, RunStore } from './ports/index.js';
import type { DayEntry, Uptime } from './uptime.js';

/** What the status page shows of a job: `paused` for a disabled job, else its health in lower case. */
export type StatusState = 'up' | 'degraded' | 'down' | 'maintenance' | 'unknown' | 'paused';

/** One day's bar (a calendar day of the status time zone). */
export interface StatusDay {
  /** `YYYY-MM-DD`. */
  readonly date: string;
  readonly uptimePct: number | null;
  readonly up: number;
  readonly degraded: number;
  readonly down: number;
  readonly maintenance: number;
  /** No counted run that day. */
  readonly noData: boolean;
  readonly incidents: number;
  readonly incidentMs: number;
}

/** A maintenance window's opening as the page shows it. */
export interface StatusMaintenance {
  /** The window's name in the jobs file. */
  readonly name: string;
  /** ISO 8601 instants, `end` exclusive. */
  readonly start: string;
  readonly end: string;
  /** `run`: checks run and do not count; `pause`: no checks. */
  readonly checks: 'run' | 'pause';
}

/** One job on the status page. */
export interface StatusJob {
  readonly name: string;
  readonly description?: string;
  /** The value of the grouping tag (`PULSECHECK_STATUS_GROUP_BY`); `null` without one. */
  readonly group: string | null;
  readonly state: StatusState;
  /** ISO 8601: when the state last changed (`null`: never ran). */
  readonly since: string | null;
  readonly lastRun: { readonly at: string; readonly status: string; readonly durationMs: number; readonly httpStatus: number | null } | null;
  /** Uptime % over the last 24 hours (`1d`), 7 days and 30 days, as `GET /api/sla` computes it. */
  readonly uptime: { readonly '1d': number | null; readonly '7d': number | null; readonly '30d': number | null };
  /** The last `DAYS` days, oldest first, today last. */
  readonly days: readonly StatusDay[];
  readonly responseTimes: {
    /** Percentiles of the last 24 hours, in ms (from the hourly rollups). */
    readonly p50Ms: number | null;
    readonly p95Ms: number | null;
    /** The recent runs' response times, oldest first: `[epoch seconds, ms]`. */
    readonly recent: ReadonlyArray<readonly [number, number]>;
  };
  /** Current and recent incidents, newest first. */
  readonly incidents: readonly StatusIncident[];
  /** Current and coming maintenance windows. */
  readonly maintenance: readonly StatusMaintenance[];
}

export interface StatusSummaryView {
  readonly generatedAt: string;
  readonly timeZone: string;
  /** The tag the jobs are grouped by; `null`: one group. */
  readonly groupBy: string | null;
  /** How often the page polls this summary, in seconds. */
  readonly refreshSeconds: number;
  /** Groups by name, the unnamed group (`null`: jobs without the tag) last; jobs by name. */
  readonly groups: ReadonlyArray<{ readonly name: string | null; readonly jobs: readonly StatusJob[] }>;
}

/** Which jobs a summary shows and how much it says: every job, or (anonymous) the public ones only. */
export interface StatusAudience {
  /** Names the cached summary; callers with the same key get the same one. */
  readonly key: string;
  readonly shows: (job: Job) => boolean;
  /** Whether run messages are shown (they may name internal addresses): not to anonymous callers. */
  readonly detail: boolean;
}

/**
 * The maintenance openings of `job` that are open at `now` or start before `to` (epoch ms). Default:
 * those of the jobs file's `maintenance` windows that select the job (`Job.maintenance`).
 */
export type MaintenanceWindows = (job: Job, now: number, to: number) => readonly StatusMaintenance[];

export interface StatusSummaryDeps {
  readonly catalog: JobCatalog;
  readonly store: Pick<JobStateStore, 'loadStates'> & Pick<RunStore, 'listRuns'>;
  readonly uptime: Uptime;
  readonly clock: Clock;
  /** `PULSECHECK_STATUS_GROUP_BY`: the tag whose value groups the jobs. */
  readonly groupBy?: string | undefined;
  readonly maintenance?: MaintenanceWindows;
  /** How long a summary is served again, in ms. Default 5 000. */
  readonly cacheMs?: number;
  /** The page's polling interval, in seconds. Default 15. */
  readonly refreshSeconds?: number;
}

/** Days of bars. */
export const DAYS = 90;
/** Recent runs read per job (incidents, response times). */
const RECENT_RUNS = 100;
/** Response times charted per job. */
const CHARTED = 60;
/** Incidents listed per job. */
const INCIDENTS = 5;
/** Jobs read at once. */
const CONCURRENCY = 8;
/** Maintenance listed up to this far ahead. */
const MAINTENANCE_AHEAD_MS = 7 * 24 * 3_600_000;

/**
 * The status page's data (`GET /api/status/summary`, issue 16): each job's state, daily bars, uptime
 * figures, response times, incidents and maintenance, grouped by a tag. Built at most once per
 * `cacheMs` per audience, however many pages poll: concurrent callers share one build.
 */
export class StatusSummary {
  readonly #deps: StatusSummaryDeps;
  readonly #cache = new Map<string, { readonly at: number; readonly text: Promise<string> }>();

  constructor(deps: StatusSummaryDeps) {
    this.#deps = deps;
  }

  /** The summary for `audience`, as JSON text. */
  json(audience: StatusAudience): Promise<string> {
    const now = this.#deps.clock.now();
    const cached = this.#cache.get(audience.key);
    if (cached && now - cached.at < (this.#deps.cacheMs ?? 5_000)) return cached.text;
    const text = this.build(audience).then((view) => JSON.stringify(view));
    this.#cache.set(audience.key, { at: now, text });
    // A failed build is not served again.
    text.catch(() => this.#cache.get(audience.key)?.text === text && this.#cache.delete(audience.key));
    return text;
  }

  /** The summary for `audience`, built now. */
  async build(audience: StatusAudience): Promise<StatusSummaryView> {
    const { catalog, store, clock, groupBy } = this.#deps;
    const [jobs, states] = await Promise.all([catalog.list(), store.loadStates()]);
    const now = clock.now();
    const shown = jobs.filter(audience.shows).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    const views: StatusJob[] = [];
    for (let i = 0; i < shown.length; i += CONCURRENCY) {
      views.push(...(await Promise.all(shown.slice(i, i + CONCURRENCY).map((job) => this.#job(job, states.get(job.name) ?? INITIAL_STATE, now, audience)))));
    }
    const groups = new Map<string | null, StatusJob[]>();
    for (const view of views) groups.set(view.group, [...(groups.get(view.group) ?? []), view]);
    const names = [...groups.keys()].sort((a, b) => (a === null ? 1 : b === null ? -1 : a.localeCompare(b)));
    return {
      generatedAt: new Date(now).toISOString(),
      timeZone: this.#deps.uptime.timeZone,
      groupBy: groupBy ?? null,
      refreshSeconds: this.#deps.refreshSeconds ?? 15,
      groups: names.map((name) => ({ name, jobs: groups.get(name) ?? [] })),
    };
  }

  async #job(job: Job, state: JobState, now: number, audience: StatusAudience): Promise<StatusJob> {
    const { uptime, store, groupBy } = this.#deps;
    const [days, day, week, runs] = await Promise.all([
      uptime.dailySeries(job.name, DAYS),
      uptime.uptime(job.name, '1d'),
      uptime.uptime(job.name, '7d'),
      store.listRuns(job.name, { limit: RECENT_RUNS }),
    ]);
    const month = days.slice(-30).reduce((sum, d) => ({ good: sum.good + d.up + d.degraded, bad: sum.bad + d.down }), { good: 0, bad: 0 });
    const recent = runs
      .filter((run) => run.timings !== undefined && run.maintenance !== true)
      .slice(0, CHARTED)
      .reverse()
      .map((run) => [Math.round(Date.parse(run.startedAt) / 1_000), Math.round((run.timings?.total ?? 0) * 10) / 10] as const);
    const group = groupBy === undefined ? null : (job.tags[groupBy] ?? null);
    return {
      name: job.name,
      ...(job.description === undefined ? {} : { description: job.description }),
      group,
      state: job.enabled ? (state.health.toLowerCase() as StatusState) : 'paused',
      since: state.since,
      lastRun: state.lastRun
        ? { at: state.lastRun.startedAt, status: state.lastRun.status, durationMs: state.lastRun.durationMs, httpStatus: state.lastRun.httpStatus }
        : null,
      uptime: { '1d': day.uptimePct, '7d': week.uptimePct, '30d': uptimePct(month.good, month.bad) },
      days: days.map(dayView),
      responseTimes: { p50Ms: day.p50Ms, p95Ms: day.p95Ms, recent },
      incidents: incidentsOf(runs, now, { limit: INCIDENTS, detail: audience.detail, downSince: state.health === 'DOWN' ? state.since : null }),
      maintenance: (this.#deps.maintenance ?? jobFileMaintenance)(job, now, now + MAINTENANCE_AHEAD_MS),
    };
  }
}

const jobFileMaintenance: MaintenanceWindows = (job, now, to) =>
  maintenanceOpenings(job.maintenance, now, to).map((o) => ({ name: o.name, start: new Date(o.start).toISOString(), end: new Date(o.end).toISOString(), checks: o.checks }));

const dayView = (d: DayEntry): StatusDay => ({
  date: d.date,
  uptimePct: d.uptimePct,
  up: d.up,
  degraded: d.degraded,
  down: d.down,
  maintenance: d.maintenance,
  noData: d.noData,
  incidents: d.incidents,
  incidentMs: d.incidentMs,
});
