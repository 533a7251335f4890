import { badgeState, stateBadge, uptimeBadge, type Badge } from '../domain/badge.js';
import { notFound } from '../domain/errors.js';
import type { Job } from '../domain/job.js';
import type { UptimeWindow } from '../domain/sla.js';
import { INITIAL_STATE } from '../domain/state.js';
import type { JobCatalog, JobStateStore } from './ports/index.js';
import type { Uptime } from './uptime.js';

export interface BadgesDeps {
  readonly catalog: JobCatalog;
  readonly store: Pick<JobStateStore, 'loadState'>;
  readonly uptime: Uptime;
}

/** Which jobs a caller may see a badge of (the status page's rule, `statusPageView`). */
export type JobFilter = (job: Pick<Job, 'tags'>) => boolean;

/** Badges of a job's state and uptime (issue 16); a job `visible` refuses is answered as unknown (404). */
export class Badges {
  readonly #deps: BadgesDeps;

  constructor(deps: BadgesDeps) {
    this.#deps = deps;
  }

  /** The job's state: up, degraded, down, maintenance or unknown. */
  async state(name: string, visible: JobFilter): Promise<Badge> {
    const job = await this.#job(name, visible);
    const state = (await this.#deps.store.loadState(job.name)) ?? INITIAL_STATE;
    return stateBadge(job.name, badgeState(state));
  }

  /** The job's uptime over `window`, all locations together (see `Uptime.uptime`). */
  async uptime(name: string, window: UptimeWindow, visible: JobFilter): Promise<Badge> {
    const job = await this.#job(name, visible);
    const { uptimePct } = await this.#deps.uptime.uptime(job.name, window);
    return uptimeBadge(job.name, window, uptimePct);
  }

  async #job(name: string, visible: JobFilter): Promise<Job> {
    const job = await this.#deps.catalog.get(name);
    if (!job || !visible(job)) throw notFound(`job "${name}"`);
    return job;
  }
}
