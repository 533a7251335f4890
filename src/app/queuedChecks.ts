import { invertedTime } from '../domain/history.js';
import type { OccurrenceMessage } from '../domain/occurrence.js';
import type { Run } from '../domain/run.js';
import type { CheckRunner } from './checkRunner.js';
import type { RunSignals } from './lifecycle.js';
import type { Clock, JobCatalog, Logger, OccurrenceClaims, RunStore } from './ports/index.js';
import { definitionRevision } from './revision.js';

export interface QueuedChecksDeps {
  readonly catalog: JobCatalog;
  readonly runner: Pick<CheckRunner, 'run'>;
  readonly clock: Clock;
  readonly claims: OccurrenceClaims;
  readonly store: Pick<RunStore, 'listRuns' | 'whenStored'>;
  readonly logger: Logger;
  /** This app's region: each region runs (and claims) its own occurrences (docs/scaling.md, Several regions). */
  readonly location: string;
  /**
   * Claims of occurrences older than this many days are deleted by the retention timer
   * (`PULSECHECK_RETENTION_DAYS`, as the runs they guard). Default 30.
   */
  readonly retentionDays?: number;
}

/** Claims deleted per store call, and how long one retention pass may spend on them. */
const RETENTION_BATCH = 10_000;
const RETENTION_BUDGET_MS = 4 * 60_000;

/** One delivery of a queue message: its id (the same on every redelivery) and how often it was dequeued. */
export interface Delivery {
  readonly messageId: string;
  readonly dequeueCount: number;
}

/**
 * What became of a delivered occurrence: `ran` (this delivery ran and recorded it), `duplicate`
 * (another message holds it), `recorded` (a redelivery of a run already stored), `job-gone` (the job
 * was deleted or disabled since it was queued).
 */
export type QueuedOutcome = { readonly outcome: 'ran'; readonly run: Run } | { readonly outcome: 'duplicate' | 'recorded' | 'job-gone' };

/**
 * `runCheck`, the queue-triggered function of queue mode (docs/scaling.md): runs one queued
 * occurrence at its instant through the same CheckRunner as inline mode, at most once however often
 * it is delivered:
 * 1. the claim: a conditional insert of the run id (OccurrenceClaims). Another message for the same
 *    occurrence (a duplicate put) finds it taken and stops. The same message delivered again (its
 *    holder died or failed) takes the claim over, unless the run is already stored;
 * 2. it waits until the instant (the message became visible a little earlier), runs the check and
 *    resolves once the run is stored, so the message is deleted only then (at least once).
 * A job changed since it was queued runs as it is now; a job deleted or disabled does not run.
 */
export class QueuedChecks {
  readonly #deps: QueuedChecksDeps;

  constructor(deps: QueuedChecksDeps) {
    this.#deps = deps;
  }

  async handle(message: OccurrenceMessage, delivery: Delivery, signals: RunSignals): Promise<QueuedOutcome> {
    const { catalog, claims, clock, runner, store, logger } = this.#deps;
    const { runId } = message;
    const scheduledAt = Date.parse(message.scheduledAt);
    const job = await catalog.get(message.job);
    if (!job || !job.enabled) {
      logger.info({ job: message.job, runId }, 'queued occurrence of a job deleted or disabled since: not run');
      return { outcome: 'job-gone' };
    }
    if (definitionRevision(job) !== message.revision) {
      logger.info({ job: job.name, runId, queued: message.revision, current: definitionRevision(job) }, 'job changed since its occurrence was queued: running the current definition');
    }
    const holder = { messageId: delivery.messageId, at: clock.now() };
    const claimId = `${runId}|${this.#deps.location}`;
    const claim = await claims.claim(claimId, holder);
    if (!claim.claimed) {
      if (claim.holder.messageId !== delivery.messageId) return { outcome: 'duplicate' };
      if (await this.#recorded(job.name, scheduledAt, runId)) return { outcome: 'recorded' };
      if (!(await claims.takeOver(claimId, holder, claim.etag))) return { outcome: 'duplicate' };
      logger.info({ job: job.name, runId, dequeueCount: delivery.dequeueCount }, 'running a redelivered occurrence its last holder did not record');
    }
    await clock.sleepUntil(scheduledAt, signals.stop);
    const request = { runId, trigger: 'schedule' as const, scheduledAt, ...(message.catchUp ? { catchUp: true } : {}) };
    const run = await runner.run(job, request, signals.abort);
    await store.whenStored?.(run);
    return { outcome: 'ran', run };
  }

  /**
   * Deletes the claims of occurrences older than the retention (whole UTC days), `RETENTION_BATCH`
   * per store call, for at most `RETENTION_BUDGET_MS` (the next pass goes on). A claim is kept as
   * long as the run it guards: a message redelivered within the history window never runs again.
   */
  async applyRetention(): Promise<{ deleted: number; before: string; complete: boolean }> {
    const { claims, clock, retentionDays = 30 } = this.#deps;
    const started = clock.now();
    const before = started - retentionDays * 86_400_000;
    let deleted = 0;
    for (;;) {
      const count = await claims.deleteBefore(before, RETENTION_BATCH);
      deleted += count;
      if (count < RETENTION_BATCH) return { deleted, before: new Date(before).toISOString(), complete: true };
      if (clock.now() - started >= RETENTION_BUDGET_MS) return { deleted, before: new Date(before).toISOString(), complete: false };
    }
  }

  /** Whether the store has the run of this occurrence (its key starts with the inverted instant). */
  async #recorded(job: string, scheduledAt: number, runId: string): Promise<boolean> {
    const [run] = await this.#deps.store.listRuns(job, { limit: 1, after: `${invertedTime(scheduledAt)}_` });
    return run?.runId === runId;
  }
}
