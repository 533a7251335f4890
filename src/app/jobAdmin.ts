import { randomUUID } from 'node:crypto';
import type { Actor, AuditAction, AuditEntry } from '../domain/audit.js';
import { auditKey } from '../domain/audit.js';
import { PulsecheckError, notFound, preconditionFailed, validationError } from '../domain/errors.js';
import { linkProblems } from '../domain/jobGraph.js';
import { decodeCursor, runKey, toPage, type Page } from '../domain/history.js';
import type { Job } from '../domain/job.js';
import { maskDefinition } from '../domain/mask.js';
import { ROLLUP_RETENTION_DAYS } from '../domain/rollup.js';
import type { Run } from '../domain/run.js';
import { INITIAL_STATE } from '../domain/state.js';
import type { Catalog } from './catalog.js';
import type { AuditStore, Clock, JobRepository, JobStateStore, RollupStore, RunStore, StoredJob } from './ports/index.js';
import { jobView, type JobView } from './views.js';

/** `If-Match`: any revision (`*`), or one of these. */
export type IfMatch = { readonly any: true } | { readonly etags: readonly string[] };

export interface JobAdminDeps {
  readonly catalog: Catalog;
  readonly store: JobRepository & JobStateStore & RunStore & AuditStore & RollupStore;
  readonly clock: Clock;
  /** Most API jobs there may be; creating one more is `quota_exceeded`. */
  readonly maxApiJobs: number;
  /** The jobs file as users know it (e.g. `jobs.config.json`), for messages. */
  readonly jobsFile: string;
  /** Run history older than this many days is deleted by the retention timer. */
  readonly retentionDays: number;
}

/** Runs deleted per store call; the retention timer makes at most `RETENTION_BATCHES` calls per invocation. */
const RETENTION_BATCH = 1_000;
const RETENTION_BATCHES = 50;

/**
 * Use cases of the management API: CRUD of API-defined jobs with revisions and an audit entry per
 * change, run history and audit pages, and run retention. Jobs of the jobs file are read-only here.
 */
export class JobAdmin {
  readonly #deps: JobAdminDeps;
  /** The creation in progress (settled, never rejected). */
  #creating: Promise<unknown> = Promise.resolve();

  constructor(deps: JobAdminDeps) {
    this.#deps = deps;
  }

  /** Stores a new API job (compiled from its body once, by the caller: config/apiJob.ts), its definition as written. */
  async create(job: Job, actor: Actor): Promise<JobView> {
    const { store, clock } = this.#deps;
    await this.#notInFile(job.name);
    await this.#linksValid(job);
    // One creation at a time in this instance, so that concurrent requests cannot pass the quota together.
    const stored = await this.#oneAtATime(async () => {
      await this.#belowQuota();
      const now = new Date(clock.now()).toISOString();
      return store.createJob({ name: job.name, definition: job.definition, etag: newRevision(), createdAt: now, updatedAt: now });
    });
    await this.#audit('job.create', stored.name, actor, null, stored.definition);
    return this.#view({ ...job, revision: stored.etag });
  }

  /** Replaces an API job (compiled by the caller, as for `create`); its name may differ from `name` in case only. */
  async replace(name: string, compiled: Job, ifMatch: IfMatch | undefined, actor: Actor): Promise<JobView> {
    const { store, clock } = this.#deps;
    await this.#notInFile(name);
    const current = await this.#current(name);
    if (compiled.name.toLowerCase() !== current.name.toLowerCase()) {
      throw new PulsecheckError('validation_failed', `name "${compiled.name}" does not match the job in the URL ("${current.name}"); a job cannot be renamed`, [
        { path: 'name', message: `name must be "${current.name}" (the job in the URL); to rename, create a new job and delete this one` },
      ]);
    }
    const expected = expectedRevision(current, ifMatch);
    const job = named(compiled, current.name);
    await this.#linksValid(job);
    const stored = await store.replaceJob({ ...current, definition: job.definition, etag: newRevision(), updatedAt: new Date(clock.now()).toISOString() }, expected);
    await this.#audit('job.update', current.name, actor, current.definition, stored.definition);
    return this.#view({ ...job, revision: stored.etag });
  }

  async remove(name: string, ifMatch: IfMatch | undefined, actor: Actor): Promise<void> {
    const { store } = this.#deps;
    await this.#notInFile(name);
    const current = await this.#current(name);
    await store.deleteJob(current.name, expectedRevision(current, ifMatch));
    await store.forgetJob(current.name);
    await this.#audit('job.delete', current.name, actor, current.definition, null);
  }

  /** A page of a job's runs, newest first. */
  async history(name: string, limit: number, cursor: string | undefined): Promise<Page<Run>> {
    const job = await this.#deps.catalog.get(name);
    if (!job) throw notFound(`job "${name}"`);
    const after = cursor === undefined ? undefined : decodeCursorOrThrow(cursor);
    const runs = await this.#deps.store.listRuns(job.name, { limit: limit + 1, ...(after === undefined ? {} : { after }) });
    return toPage(runs, limit, runKey);
  }

  /** A page of the audit log, newest first. */
  async auditLog(limit: number, cursor: string | undefined): Promise<Page<AuditEntry>> {
    const after = cursor === undefined ? undefined : decodeCursorOrThrow(cursor);
    const entries = await this.#deps.store.listAudit({ limit: limit + 1, ...(after === undefined ? {} : { after }) });
    return toPage(entries, limit, auditKey);
  }

  /**
   * Deletes runs older than the retention period, in batches of 1 000, at most 50 000 per call (the
   * next call goes on). Returns how many it deleted.
   */
  async applyRetention(): Promise<{ deleted: number; before: string; complete: boolean }> {
    const { store, clock, retentionDays } = this.#deps;
    const before = clock.now() - retentionDays * 86_400_000;
    let deleted = 0;
    for (let batch = 0; batch < RETENTION_BATCHES; batch++) {
      const count = await store.deleteRunsBefore(before, RETENTION_BATCH);
      deleted += count;
      if (count < RETENTION_BATCH) return { deleted, before: new Date(before).toISOString(), complete: true };
    }
    return { deleted, before: new Date(before).toISOString(), complete: false };
  }

  /**
   * Rollup upkeep for the retention timer (issue 16): merges the settled partial buckets and deletes
   * buckets older than `ROLLUP_RETENTION_DAYS`, `RETENTION_BATCH` buckets per store call, at most
   * `RETENTION_BATCHES` calls (the next run goes on).
   */
  async compactRollups(): Promise<{ compacted: number; deleted: number; complete: boolean }> {
    const { store, clock } = this.#deps;
    const now = clock.now();
    let compacted = 0;
    let deleted = 0;
    for (let batch = 0; batch < RETENTION_BATCHES; batch++) {
      const report = await store.compactRollups(now, now - ROLLUP_RETENTION_DAYS * 86_400_000, RETENTION_BATCH);
      compacted += report.compacted;
      deleted += report.deleted;
      if (report.compacted + report.deleted < RETENTION_BATCH) return { compacted, deleted, complete: true };
    }
    return { compacted, deleted, complete: false };
  }

  #oneAtATime<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.#creating.then(fn);
    this.#creating = run.catch(() => undefined);
    return run;
  }

  /**
   * Refuses a new API job when there are `maxApiJobs` already. Counted from the store's list, which
   * this instance reads again after its own writes; creations on several instances at once may
   * overshoot by the few in flight.
   */
  async #belowQuota(): Promise<void> {
    const { store, maxApiJobs } = this.#deps;
    const count = (await store.listJobs()).length;
    if (count >= maxApiJobs) {
      throw new PulsecheckError(
        'quota_exceeded',
        `there are ${count} API jobs, the most PULSECHECK_MAX_API_JOBS (${maxApiJobs}) allows: delete one, or raise the setting`,
      );
    }
  }

  async #notInFile(name: string): Promise<void> {
    const job = await this.#deps.catalog.configJob(name);
    if (job) {
      throw new PulsecheckError(
        'conflict',
        `job "${job.name}" is defined in ${this.#deps.jobsFile} and is read-only through the API; change it in the file (or use another name)`,
      );
    }
  }

  /**
   * The jobs `job` names (`dependsOn`, follow-ups) exist, in the jobs file or the API, and `job` closes
   * no cycle with them. Problems of other jobs are theirs, not this request's.
   */
  async #linksValid(job: Job): Promise<void> {
    if (!job.dependencies && !job.followUps) return;
    const lower = job.name.toLowerCase();
    const jobs = [job, ...(await this.#deps.catalog.list()).filter((other) => other.name.toLowerCase() !== lower)];
    const issues = linkProblems(jobs, new Set(jobs.map((j) => j.name)))
      .filter((problem) => problem.job === job.name)
      .map((problem) => ({ path: problem.field, message: `${problem.field} ${problem.message}` }));
    if (issues.length > 0) throw validationError('the job', issues);
  }

  async #current(name: string): Promise<StoredJob> {
    const current = await this.#deps.store.getJob(name);
    if (!current) throw notFound(`job "${name}"`);
    return current;
  }

  async #view(job: Job): Promise<JobView> {
    return jobView(job, (await this.#deps.store.loadState(job.name)) ?? INITIAL_STATE, this.#deps.clock.now());
  }

  async #audit(action: AuditAction, job: string, actor: Actor, before: StoredJob['definition'] | null, after: StoredJob['definition'] | null): Promise<void> {
    await this.#deps.store.recordAudit({
      id: randomUUID(),
      at: new Date(this.#deps.clock.now()).toISOString(),
      actor,
      action,
      job,
      before: before && maskDefinition(before),
      after: after && maskDefinition(after),
    });
  }
}

/** The job under the stored name's spelling (a replacement may differ from it in case only), as written and as merged. */
function named(job: Job, name: string): Job {
  if (job.name === name) return job;
  return { ...job, name, definition: { ...job.definition, name }, ...(job.resolved ? { resolved: { ...job.resolved, name } } : {}) };
}

/** A new opaque revision (the ETag of the next version). */
const newRevision = () => randomUUID().replace(/-/g, '').slice(0, 20);

/** The revision a conditional write must find: the current one if `If-Match` allows it. */
function expectedRevision(current: StoredJob, ifMatch: IfMatch | undefined): string {
  if (ifMatch === undefined || 'any' in ifMatch || ifMatch.etags.includes(current.etag)) return current.etag;
  throw preconditionFailed(`job "${current.name}"`);
}

function decodeCursorOrThrow(cursor: string): string {
  const key = decodeCursor(cursor);
  if (key === undefined) {
    throw new PulsecheckError('validation_failed', 'cursor is not valid (use the nextCursor of a previous page as it is)', [
      { path: 'cursor', message: 'cursor must be the nextCursor of a previous page, unchanged' },
    ]);
  }
  return key;
}
