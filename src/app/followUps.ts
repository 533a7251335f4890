import { randomBytes } from 'node:crypto';
import { followUpsAfter, MAX_FOLLOW_UP_DEPTH } from '../domain/followups.js';
import type { Job } from '../domain/job.js';
import type { Run } from '../domain/run.js';
import type { CheckRunner, RecordedRunObserver, RunRequest } from './checkRunner.js';
import type { Lifecycle } from './lifecycle.js';
import type { Clock, JobCatalog, Logger } from './ports/index.js';

export interface FollowUpsDeps {
  readonly catalog: Pick<JobCatalog, 'get'>;
  readonly runner: Pick<CheckRunner, 'run'>;
  readonly clock: Clock;
  readonly logger: Logger;
  /** Tracks each follow-up for a graceful shutdown; none starts once shutting down. Default: untracked. */
  readonly lifecycle?: Pick<Lifecycle, 'stopping' | 'track'>;
}

/**
 * Follow-ups (docs/alerting.md, Dependencies and follow-ups): after a run is recorded, the jobs its
 * job names in `onFailure`, `onSuccess` or `onCompletion` (`followUpsAfter`) run at once, with trigger
 * `followup` and the run's id as `parentRunId`, through the same check runner (bulkhead, record,
 * telemetry), and may start follow-ups of their own up to `MAX_FOLLOW_UP_DEPTH` levels. Fire and
 * forget: the parent's record and other checks never wait for them; a failure is logged. A follow-up
 * job may be disabled (never scheduled), so that it runs only as a follow-up.
 */
export class FollowUps implements RecordedRunObserver {
  readonly #deps: FollowUpsDeps;

  constructor(deps: FollowUpsDeps) {
    this.#deps = deps;
  }

  after(job: Job, run: Run, request: RunRequest): void {
    const names = followUpsAfter(job.followUps, run.status);
    if (names.length === 0) return;
    const depth = (request.followUpDepth ?? 0) + 1;
    const { logger } = this.#deps;
    if (depth > MAX_FOLLOW_UP_DEPTH) {
      logger.warn({ job: job.name, runId: run.runId, followUps: names }, `follow-ups not started: they would be deeper than ${MAX_FOLLOW_UP_DEPTH} levels`);
      return;
    }
    for (const name of names) {
      this.#start(name, run, depth).catch((error: unknown) => logger.error({ err: error, job: name, parentRunId: run.runId }, 'follow-up failed unexpectedly'));
    }
  }

  async #start(name: string, parent: Run, depth: number): Promise<void> {
    const { catalog, runner, clock, logger, lifecycle } = this.#deps;
    if (lifecycle?.stopping) return;
    const job = await catalog.get(name);
    if (!job) {
      logger.warn({ job: name, parentRunId: parent.runId }, `follow-up "${name}" is not a job (any more); not run`);
      return;
    }
    const now = clock.now();
    const request: RunRequest = {
      runId: `${job.name}@${new Date(now).toISOString()}~followup-${randomBytes(3).toString('hex')}`,
      trigger: 'followup',
      scheduledAt: now,
      parentRunId: parent.runId,
      followUpDepth: depth,
    };
    if (lifecycle) await lifecycle.track(({ abort }) => runner.run(job, request, abort));
    else await runner.run(job, request);
  }
}
