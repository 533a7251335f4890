import { planTick, type Occurrence } from '../domain/plan.js';
import { runIdFor, type Run } from '../domain/run.js';
import { nextOccurrence, previousOccurrence, type Schedule } from '../domain/schedule.js';
import type { Job } from '../domain/job.js';
import type { CheckRunner } from './checkRunner.js';
import type { Clock, DispatcherStateStore, JobCatalog, Logger } from './ports/index.js';

export interface DispatcherDeps {
  readonly catalog: JobCatalog;
  readonly store: DispatcherStateStore;
  readonly clock: Clock;
  readonly runner: CheckRunner;
  readonly logger: Logger;
  /** The dispatcher timer's own schedule: each tick plans up to the next one. */
  readonly tickSchedule: Schedule;
}

/** What one tick did. */
export interface TickReport {
  readonly planned: number;
  readonly started: number;
  readonly runs: readonly Run[];
}

/**
 * The dispatcher timer's use case. Each tick plans every enabled job's occurrences before the next
 * tick, persists how far it planned, then starts each occurrence at its own instant and waits for
 * the runs. When `stop` aborts (shutdown), occurrences not yet started are handed back, so a
 * later tick catches them up instead of losing them; `abort` aborts the runs in flight.
 */
export class Dispatcher {
  readonly #deps: DispatcherDeps;
  /** Serialises planning: two overlapping ticks never plan the same occurrence. */
  #planning: Promise<unknown> = Promise.resolve();

  constructor(deps: DispatcherDeps) {
    this.#deps = deps;
  }

  async tick(signals: { stop?: AbortSignal; abort?: AbortSignal } = {}): Promise<TickReport> {
    const { stop, abort } = signals;
    const { clock, runner, store, logger } = this.#deps;
    const { occurrences, jobs } = await this.#exclusive(() => this.#plan());
    const byJob = new Map(jobs.map((job) => [job.name, job]));
    const runs: Promise<Run>[] = [];
    let next = 0;
    try {
      while (next < occurrences.length) {
        const at = (occurrences[next] as Occurrence).scheduledAt;
        await clock.sleepUntil(at, stop);
        for (; next < occurrences.length && (occurrences[next] as Occurrence).scheduledAt === at; next++) {
          const occurrence = occurrences[next] as Occurrence;
          const job = byJob.get(occurrence.job);
          if (!job) continue;
          const request = {
            runId: runIdFor(job.name, occurrence.scheduledAt),
            trigger: 'schedule' as const,
            scheduledAt: occurrence.scheduledAt,
            catchUp: occurrence.catchUp,
          };
          runs.push(runner.run(job, request, abort));
        }
      }
    } catch (error) {
      if (!stop?.aborted) throw error;
      await this.#exclusive(() => this.#handBack(occurrences.slice(next)));
    }
    const finished = await Promise.all(runs);
    await store.saveLastTick(clock.now());
    logger.debug({ planned: occurrences.length, started: runs.length }, 'tick done');
    return { planned: occurrences.length, started: runs.length, runs: finished };
  }

  async #plan(): Promise<{ occurrences: Occurrence[]; jobs: readonly Job[] }> {
    const { catalog, clock, store, tickSchedule } = this.#deps;
    const now = clock.now();
    const nextTick = nextOccurrence(tickSchedule, now) ?? now + 10_000;
    const lookbackMs = (nextOccurrence(tickSchedule, nextTick) ?? nextTick + 10_000) - nextTick;
    // Plan up to just before the next tick: occurrences on the boundary belong to that tick, so this
    // invocation normally ends before it and the timer stays on time.
    const horizon = nextTick - 1;
    const jobs = (await catalog.list()).filter((job) => job.enabled);
    const tickAt = previousOccurrence(tickSchedule, now) ?? now;
    const plan = planTick({ jobs, cursors: await store.loadCursors(), now, tickAt, horizon, lookbackMs });
    await store.saveCursors(plan.cursors);
    return { occurrences: plan.occurrences, jobs };
  }

  /** Runs `fn` after every earlier call has settled (cursors are read, changed and written whole). */
  #exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const result = this.#planning.then(fn);
    this.#planning = result.catch(() => undefined);
    return result;
  }

  /** Moves each job's cursor back before its first unstarted occurrence. */
  async #handBack(unstarted: readonly Occurrence[]): Promise<void> {
    if (unstarted.length === 0) return;
    const cursors = { ...(await this.#deps.store.loadCursors()) };
    for (const { job, scheduledAt } of unstarted) {
      cursors[job] = Math.min(cursors[job] ?? scheduledAt, scheduledAt - 1);
    }
    await this.#deps.store.saveCursors(cursors);
  }
}
