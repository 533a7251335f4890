import type { Job } from '../domain/job.js';
import { describeSchedule, nextOccurrence } from '../domain/schedule.js';
import { activeMaintenance, type MaintenanceChecks } from '../domain/maintenance.js';
import type { JobState } from '../domain/state.js';
import { maskDefinition, maskHeaders, maskUrl } from '../domain/mask.js';

/** A job as the API shows it: as written (references, not values), with its state and next run. */
export interface JobView {
  readonly name: string;
  readonly description?: string;
  readonly source: Job['source'];
  /** API jobs: the revision to send back in `If-Match`. */
  readonly etag?: string;
  readonly enabled: boolean;
  readonly method: Job['method'];
  readonly url: string;
  readonly schedule: string;
  readonly nextRunAt: string | null;
  readonly tags: Readonly<Record<string, string>>;
  readonly headers: Readonly<Record<string, string>>;
  /** As written: secret names, never values. */
  readonly auth: Readonly<Record<string, unknown>>;
  readonly conditions: readonly string[];
  readonly timeoutSeconds: number;
  readonly retry: { maxAttempts: number; initialDelayMs: number; maxDelayMs: number; deadlineSeconds: number };
  readonly circuitBreaker: { failureThreshold: number; halfOpenAfterSeconds: number } | false;
  /** This location's state (`PULSECHECK_RUN_LOCATION`). */
  readonly state: JobState;
  /** `GET /api/jobs/{name}`: the state in each location that has run the job, by location name. */
  readonly locations?: Readonly<Record<string, JobState>>;
  /** `GET /api/jobs/{name}`: the maintenance window open now (instants ISO 8601), if any. */
  readonly maintenance?: { readonly name: string; readonly checks: MaintenanceChecks; readonly start: string; readonly end: string };
  /** `GET /api/jobs/{name}`: the job as written (`extends`, `params`, references), credentials masked. */
  readonly definition?: Readonly<Record<string, unknown>>;
  /** `GET /api/jobs/{name}`: the jobs it takes down while it is down (`dependentsOf`); absent when none. */
  readonly dependents?: readonly string[];
  /** `GET /api/jobs/{name}?resolved=true`: as it runs (defaults and templates merged), references unresolved, credentials masked. */
  readonly resolved?: Readonly<Record<string, unknown>>;
}

type Head = Pick<JobView, 'name' | 'description' | 'source' | 'etag' | 'enabled' | 'method' | 'url' | 'schedule'>;
type Tail = Omit<JobView, keyof Head | 'nextRunAt' | 'state' | 'locations' | 'maintenance' | 'definition' | 'resolved' | 'dependents'>;

/**
 * What a job's view holds besides its next run and state, made once per job object (a job is a new
 * object when it changes): listing 1 000 jobs many times a second must not mask and describe each
 * of them again every time.
 */
const fixedParts = new WeakMap<Job, { head: Head; tail: Tail }>();

function fixed(job: Job): { head: Head; tail: Tail } {
  let parts = fixedParts.get(job);
  if (parts) return parts;
  // As it runs, before `${env:}` is substituted: templates and defaults give url, headers and auth too.
  const written = (job.resolved ?? job.definition) as { url?: string; headers?: Record<string, string>; auth?: Record<string, unknown> };
  parts = {
    head: {
      name: job.name,
      ...(job.description === undefined ? {} : { description: job.description }),
      source: job.source,
      ...(job.revision === undefined ? {} : { etag: job.revision }),
      enabled: job.enabled,
      method: job.method,
      url: maskUrl(written.url ?? job.url),
      schedule: describeSchedule(job.schedule),
    },
    tail: {
      tags: job.tags,
      headers: maskHeaders(written.headers ?? {}),
      // From `defaults` when the job has none of its own: the compiled auth, secrets by name.
      auth: written.auth ?? ('secret' in job.auth ? { ...job.auth, secret: job.auth.secret.id } : job.auth),
      conditions: job.conditions.map((c) => c.source),
      timeoutSeconds: job.timeoutMs / 1_000,
      retry: {
        maxAttempts: job.retry.maxAttempts,
        initialDelayMs: job.retry.initialDelayMs,
        maxDelayMs: job.retry.maxDelayMs,
        deadlineSeconds: job.retry.deadlineMs / 1_000,
      },
      circuitBreaker: job.circuitBreaker
        ? { failureThreshold: job.circuitBreaker.failureThreshold, halfOpenAfterSeconds: job.circuitBreaker.halfOpenAfterMs / 1_000 }
        : false,
    },
  };
  fixedParts.set(job, parts);
  return parts;
}

/** Builds the API view of a job; `now` (epoch ms) gives the next run. */
export function jobView(job: Job, state: JobState, now: number): JobView {
  const { head, tail } = fixed(job);
  const next = job.enabled ? nextOccurrence(job.schedule, now) : undefined;
  return { ...head, nextRunAt: next === undefined ? null : new Date(next).toISOString(), ...tail, state: shownState(job, state, now) };
}

/**
 * The state as shown at `now` (epoch ms): MAINTENANCE, since the window opened, while a maintenance
 * window of the job is open, before the job's first run in it too.
 */
function shownState(job: Job, state: JobState, now: number): JobState {
  if (!job.maintenance || state.health === 'MAINTENANCE') return state;
  const open = activeMaintenance(job.maintenance, now);
  return open ? { ...state, health: 'MAINTENANCE', since: new Date(open.start).toISOString() } : state;
}

/** The view of one job with its definition: as written, or (`resolved`) as it runs. */
export function jobDetailView(job: Job, state: JobState, now: number, resolved: boolean): JobView {
  const open = activeMaintenance(job.maintenance, now);
  const view: JobView = {
    ...jobView(job, state, now),
    ...(open ? { maintenance: { name: open.name, checks: open.checks, start: new Date(open.start).toISOString(), end: new Date(open.end).toISOString() } } : {}),
  };
  return resolved ? { ...view, resolved: maskDefinition(job.resolved ?? job.definition) } : { ...view, definition: maskDefinition(job.definition) };
}

const fragments = new WeakMap<Job, { head: string; tail: string; last?: { state: JobState; nextRunAt: string; json: string } }>();

/**
 * `JSON.stringify(jobView(job, state, now))`, from text made once per job object, and the same
 * string again while the state object and the next run are the same: `GET /api/jobs` with 1 000
 * jobs at 200 requests/s cannot afford to build and serialise 1 000 views each time.
 */
export function jobViewJson(job: Job, state: JobState, now: number): string {
  let parts = fragments.get(job);
  if (!parts) {
    const { head, tail } = fixed(job);
    parts = { head: JSON.stringify(head).slice(0, -1), tail: JSON.stringify(tail).slice(1, -1) };
    fragments.set(job, parts);
  }
  const next = job.enabled ? nextOccurrence(job.schedule, now) : undefined;
  const nextRunAt = next === undefined ? 'null' : `"${new Date(next).toISOString()}"`;
  // A job with maintenance windows is shown afresh: a window may open or close between two runs.
  if (!job.maintenance && parts.last?.state === state && parts.last.nextRunAt === nextRunAt) return parts.last.json;
  const json = `${parts.head},"nextRunAt":${nextRunAt},${parts.tail},"state":${JSON.stringify(shownState(job, state, now))}}`;
  parts.last = { state, nextRunAt, json };
  return json;
}
