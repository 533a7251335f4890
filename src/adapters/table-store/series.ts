import { invertedTime, runKey, timeOfKey } from '../../domain/history.js';
import type { Run } from '../../domain/run.js';

/**
 * Run history as data series (the Azure Table design guide's "data series" pattern): the runs of
 * one job scheduled in the same UTC minute and written together are one entity. Under load a write
 * then costs one entity per job and minute instead of one per run; for a job that runs every few
 * seconds and is flushed every tick, an entity holds a run or two.
 *
 * Row key: `<invertedTime(end of the minute)>-<random>`. All runs of a minute have run keys between
 * that prefix and the next minute's, so a page of history reads entities in row-key order and can
 * stop once it has `limit` runs and a minute is complete.
 */

const MINUTE = 60_000;

/** The row-key prefix of the minute holding instant `at` (epoch ms): newest minutes sort first. */
export const minutePrefix = (at: number): string => invertedTime(Math.floor(at / MINUTE) * MINUTE + MINUTE - 1);

/** The prefix of the minute a run key belongs to. */
export const minuteOfKey = (key: string): string => minutePrefix(timeOfKey(key));

/** Groups runs by the minute they were scheduled in (`scheduledAt`, epoch ms): prefix → runs. */
export function byMinute<T extends { readonly scheduledAt: number }>(runs: readonly T[]): Map<string, T[]> {
  const minutes = new Map<string, T[]>();
  for (const run of runs) {
    const prefix = minutePrefix(run.scheduledAt);
    const list = minutes.get(prefix);
    if (list) list.push(run);
    else minutes.set(prefix, [run]);
  }
  return minutes;
}

/** The end of the minute a prefix stands for, as a Date (for retention queries). */
export const minuteEnd = (prefix: string): Date => new Date(timeOfKey(prefix));

/** Collects the first `limit` runs with a key after `after` from series entities read in row-key order. */
export class PageCollector {
  readonly #runs = new Map<string, Run>();
  #minute: string | undefined;

  constructor(
    private readonly limit: number,
    private readonly after: string,
  ) {}

  /** Adds an entity's runs; false when the page is complete (enough runs and a new minute begins). */
  add(minute: string, runs: readonly Run[]): boolean {
    if (minute !== this.#minute && this.#runs.size >= this.limit) return false;
    this.#minute = minute;
    this.include(runs);
    return true;
  }

  /** Adds runs whatever the minute (runs not written yet). */
  include(runs: readonly Run[]): void {
    for (const run of runs) {
      const key = runKey(run);
      if (key > this.after) this.#runs.set(key, run);
    }
  }

  /** The page: runs in key order (newest first), at most `limit`. */
  page(): Run[] {
    return [...this.#runs.keys()]
      .sort()
      .slice(0, this.limit)
      .map((key) => this.#runs.get(key) as Run);
  }
}
