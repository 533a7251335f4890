import { randomBytes } from 'node:crypto';
import { PulsecheckError, notFound } from '../domain/errors.js';
import type { Job } from '../domain/job.js';
import type { Run } from '../domain/run.js';
import type { CheckRunner } from './checkRunner.js';
import type { Lifecycle } from './lifecycle.js';
import type { Clock, JobCatalog, StoreLifecycle, Telemetry } from './ports/index.js';

export interface ManualRunsDeps {
  readonly catalog: JobCatalog;
  readonly runner: Pick<CheckRunner, 'run'>;
  readonly clock: Clock;
  /** Flushed before a run is returned, so that what the caller reads next holds the run. */
  readonly telemetry: Pick<Telemetry, 'flush'>;
  readonly store: Pick<StoreLifecycle, 'flush'>;
  /** Tracks each run for a graceful shutdown; refuses new ones once shutting down. */
  readonly lifecycle: Pick<Lifecycle, 'stopping' | 'track'>;
}

/** Runs on demand (trigger `manual`): a job of the catalog, or an unsaved definition. */
export class ManualRuns {
  readonly #deps: ManualRunsDeps;

  constructor(deps: ManualRunsDeps) {
    this.#deps = deps;
  }

  /** Runs a job now (trigger `manual`), even if disabled, and returns the run. */
  async runNow(name: string): Promise<Run> {
    const job = await this.#deps.catalog.get(name);
    if (!job) throw notFound(`job "${name}"`);
    return this.#run(job, false);
  }

  /**
   * Runs an unsaved job once (trigger `manual`) and returns the run, without recording it in any
   * job's history or state; its circuit breaker is off, so no stored circuit is read or changed.
   */
  runUnsaved(job: Job): Promise<Run> {
    return this.#run(job, true);
  }

  /** A manual run, tracked for shutdown; what it wrote is flushed before it is returned. */
  async #run(job: Job, unsaved: boolean): Promise<Run> {
    const { clock, runner, telemetry, store, lifecycle } = this.#deps;
    if (lifecycle.stopping) throw new PulsecheckError('unavailable', 'Pulsecheck is shutting down');
    const now = clock.now();
    const runId = `${job.name}@${new Date(now).toISOString()}~${unsaved ? 'unsaved-' : ''}${randomBytes(3).toString('hex')}`;
    const request = { runId, trigger: 'manual', scheduledAt: now, ...(unsaved ? { record: false } : {}) } as const;
    return lifecycle.track(async ({ abort }) => {
      try {
        return await runner.run(unsaved ? { ...job, circuitBreaker: null } : job, request, abort);
      } finally {
        await Promise.all([telemetry.flush(), ...(unsaved ? [] : [store.flush()])]);
      }
    });
  }
}
