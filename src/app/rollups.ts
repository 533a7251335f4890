import { dayOf, type Period } from '../domain/calendar.js';
import { bucketsAt, addRun, classify, EMPTY_COUNTS, type RollupBucket } from '../domain/rollup.js';
import { trackIncident, type LastVerdict } from '../domain/rollupIncidents.js';
import type { Run } from '../domain/run.js';
import type { Job } from '../domain/job.js';
import type { RecordedRunObserver } from './checkRunner.js';
import type { Logger } from './ports/index.js';
import type { RollupStore } from './ports/rollups.js';

export interface RollupRecorderDeps {
  readonly store: RollupStore;
  /** The IANA zone whose calendar days make the daily buckets (`PULSECHECK_STATUS_TIMEZONE`). */
  readonly timeZone: string;
  readonly logger: Logger;
}

/**
 * Turns each recorded run into its hourly and daily partial buckets (issue 16), with its incident
 * part: the last good-or-bad verdict of each job and location is kept in memory, so incidents are
 * exact where one instance records a job's runs (inline dispatch) and approximate otherwise (see
 * docs/status-page.md, SLA).
 */
export class RollupRecorder implements RecordedRunObserver {
  readonly #deps: RollupRecorderDeps;
  readonly #last = new Map<string, LastVerdict>();
  /** The day of the last run added: nearly every run falls in it. */
  #day: Period = { start: 0, end: 0 };

  constructor(deps: RollupRecorderDeps) {
    this.#deps = deps;
  }

  /** A recorded run (the check runner's observer): added in the background, like the alerts. */
  after(_job: Job, run: Run): void {
    void this.record(run);
  }

  /** Adds a run to its buckets; runs that do not count (skipped, not in maintenance) are ignored. Never throws. */
  async record(run: Run): Promise<void> {
    const cls = classify(run);
    if (cls === undefined) return;
    const at = Date.parse(run.scheduledAt);
    const key = `${run.job}\n${run.location}`;
    const { next, part } = trackIncident(this.#last.get(key), cls, at);
    if (next) this.#last.set(key, next);
    const counts = addRun(EMPTY_COUNTS, run, cls, part);
    const deltas: RollupBucket[] = bucketsAt(run.job, run.location, at, this.#dayOf(at), counts);
    try {
      await this.#deps.store.addRollups(deltas);
    } catch (error) {
      this.#deps.logger.error({ err: error, job: run.job, runId: run.runId }, 'could not add the run to its rollups');
    }
  }

  #dayOf(at: number): Period {
    if (at < this.#day.start || at >= this.#day.end) this.#day = dayOf(at, this.#deps.timeZone);
    return this.#day;
  }
}
