import { decideUpstream, type UpstreamDecision } from '../domain/dependencies.js';
import { invertedTime } from '../domain/history.js';
import { leftovers, planTick, withStarted, type Occurrence } from '../domain/plan.js';
import { runIdFor, type Run } from '../domain/run.js';
import type { Schedule } from '../domain/schedule.js';
import type { Job } from '../domain/job.js';
import { rankOf } from '../domain/priority.js';
import type { JobState } from '../domain/state.js';
import type { CheckRunner } from './checkRunner.js';
import { ScheduleMemo } from './scheduleMemo.js';
import type { CheckQueue, Clock, DispatcherStateStore, JobCatalog, JobStateStore, Logger, RunStore } from './ports/index.js';
import { queuedOccurrence } from './queueDispatch.js';

export interface DispatcherDeps {
  readonly catalog: JobCatalog;
  /** `loadStates`: the upstream jobs' states, read once per instant that starts a job with `dependsOn`. */
  readonly store: DispatcherStateStore & Pick<RunStore, 'listRuns'> & Pick<JobStateStore, 'loadStates'>;
  readonly clock: Clock;
  readonly runner: CheckRunner;
  readonly logger: Logger;
  /** The dispatcher timer's own schedule: each tick plans up to the next one. */
  readonly tickSchedule: Schedule;
  /**
   * Queue mode (`PULSECHECK_DISPATCH=queue`): each occurrence is put on this queue, visible shortly
   * before its instant, instead of being started here (docs/scaling.md). Absent: inline mode.
   */
  readonly queue?: CheckQueue;
}

/** What one tick did. */
export interface TickReport {
  readonly planned: number;
  readonly started: number;
  /** The runs that ended before the tick did. */
  readonly runs: readonly Run[];
  /** Runs the tick started that were still running when it ended: they go on and are recorded when they end. */
  readonly running: number;
}

/** A scheduled check still running after its tick ended. */
export interface LongRunningCheck {
  readonly job: string;
  readonly runId: string;
  /** How long it has been running, in ms. */
  readonly runningMs: number;
}

interface InFlight {
  readonly job: string;
  readonly scheduledAt: number;
  readonly startedAt: number;
  /** The end of the tick that started it (its horizon), epoch ms. */
  readonly tickEnd: number;
  readonly run: Promise<Run>;
}

/** The tick stops waiting for its runs this long before the next tick (at most 1 s, a tenth of a period), so the timer stays on time. */
const endMarginMs = (periodMs: number): number => Math.min(1_000, Math.floor(periodMs / 10));

/**
 * The dispatcher timer's use case. Each tick plans every enabled job's occurrences before the next
 * tick, persists how far it planned, then starts each occurrence at its own instant. The tick ends
 * at its horizon at the latest: a check still running then goes on in the process, is recorded when
 * it ends and is reported by `longRunning`, so no check delays another job's occurrence (an
 * occurrence of the same job meanwhile is skipped as `overlap` by the runner). When `stop` aborts
 * (shutdown), occurrences not yet started are handed back, so a later tick catches them up instead
 * of losing them; `abort` aborts the runs in flight.
 *
 * Crash safety: the cursors it persists name the occurrences started and not yet recorded; a later
 * tick catches one left over by a process that died up once (`planTick`), unless its run is stored.
 */
export class Dispatcher {
  readonly #deps: DispatcherDeps;
  /** Serialises planning: two overlapping ticks never plan the same occurrence. */
  #planning: Promise<unknown> = Promise.resolve();
  /** Scheduled runs started by this process and not yet ended, by run id. */
  readonly #inFlight = new Map<string, InFlight>();
  /** How far each job is planned, as this process last planned or handed back (job → epoch ms). */
  #planned: Record<string, number> = {};
  /** A save of the cursors is queued (the starts of one instant are saved together, not one by one). */
  #saveQueued = false;
  #lastTick: number | undefined;
  /** Each schedule's occurrences found so far: a tick walks croner once per occurrence, not per job per tick. */
  readonly #occurrences = new ScheduleMemo();

  constructor(deps: DispatcherDeps) {
    this.#deps = deps;
  }

  /** Epoch ms of the last tick this process completed, or `undefined` (for health when the store does not answer). */
  get lastTickAt(): number | undefined {
    return this.#lastTick;
  }

  async tick(signals: { stop?: AbortSignal; abort?: AbortSignal } = {}): Promise<TickReport> {
    const { stop, abort } = signals;
    const { clock, store, logger } = this.#deps;
    if (this.#deps.queue) return this.#enqueue(this.#deps.queue);
    const { occurrences, jobs, end, waitUntil } = await this.#exclusive(() => this.#plan());
    const byJob = new Map(jobs.map((job) => [job.name, job]));
    const runs = new TickRuns();
    let next = 0;
    try {
      while (next < occurrences.length) {
        const at = (occurrences[next] as Occurrence).scheduledAt;
        await clock.sleepUntil(at, stop);
        // The states as they are at this instant, read once for all the dependents it starts.
        let states: ReadonlyMap<string, JobState> | undefined;
        const due: Array<{ job: Job; occurrence: Occurrence }> = [];
        for (; next < occurrences.length && (occurrences[next] as Occurrence).scheduledAt === at; next++) {
          const occurrence = occurrences[next] as Occurrence;
          const job = byJob.get(occurrence.job);
          if (!job) continue;
          if (job.dependencies) states ??= await this.#states();
          due.push({ job, occurrence });
        }
        // Checks due at one instant start highest priority first: those that find the bulkhead full wait in priority order anyway.
        due.sort((a, b) => rankOf(a.job.priority) - rankOf(b.job.priority));
        for (const { job, occurrence } of due) this.#start(job, occurrence, end, abort, runs, states && this.#upstream(job, byJob, states));
      }
    } catch (error) {
      if (!stop?.aborted) throw error;
      await this.#exclusive(() => this.#handBack(occurrences.slice(next)));
    }
    const finished = await this.#settledBefore(runs, waitUntil);
    const started = runs.started;
    // The runs that ended are no longer in flight: saved once here, not at each end (at 1 000 jobs,
    // one save per run end copied every cursor a thousand times a tick). A crash before this save
    // leaves them named as started: the next tick finds their runs stored and does not repeat them.
    this.#saveSoon();
    this.#lastTick = clock.now();
    await store.saveLastTick(this.#lastTick);
    const running = started - finished.length;
    logger.debug({ planned: occurrences.length, started, running }, 'tick done');
    return { planned: occurrences.length, started, runs: finished, running };
  }

  /**
   * Queue mode: plans like inline mode, puts one message per occurrence, then saves the cursors. In
   * that order: a crash in between queues them again next tick (the claims make a duplicate run
   * once), never loses them. Occurrences that could not be put are handed back to the next tick.
   */
  async #enqueue(queue: CheckQueue): Promise<TickReport> {
    const { clock, store, logger } = this.#deps;
    const { occurrences, jobs } = await this.#exclusive(() => this.#plan(false, true));
    const byJob = new Map(jobs.map((job) => [job.name, job]));
    const now = clock.now();
    const queued = occurrences.flatMap((o) => {
      const job = byJob.get(o.job);
      return job ? [queuedOccurrence(job, o, now)] : [];
    });
    const { sent, error } = queued.length > 0 ? await queue.enqueue(queued) : { sent: 0 };
    if (error !== undefined) logger.error({ err: error, planned: queued.length, sent }, 'could not queue every occurrence; the next tick queues the rest');
    const unsent = queued.slice(sent).map(({ message }) => ({ job: message.job, scheduledAt: Date.parse(message.scheduledAt), catchUp: false }));
    await this.#exclusive(() => (unsent.length > 0 ? this.#handBack(unsent) : this.#save()));
    this.#lastTick = clock.now();
    await store.saveLastTick(this.#lastTick);
    logger.debug({ planned: occurrences.length, queued: sent }, 'tick done');
    return { planned: occurrences.length, started: sent, runs: [], running: 0 };
  }

  /** Resolves when every run this dispatcher started has ended (shutdown waits for it). */
  async settled(): Promise<void> {
    while (this.#inFlight.size > 0) await Promise.allSettled([...this.#inFlight.values()].map((f) => f.run));
  }

  /** The scheduled checks running longer than the tick that started them, longest first. */
  longRunning(): LongRunningCheck[] {
    const now = this.#deps.clock.now();
    return [...this.#inFlight]
      .filter(([, f]) => f.tickEnd < now)
      .map(([runId, f]) => ({ job: f.job, runId, runningMs: now - f.startedAt }))
      .sort((a, b) => b.runningMs - a.runningMs);
  }

  /** Every job's state; none when the store cannot answer (dependents then run). */
  async #states(): Promise<ReadonlyMap<string, JobState>> {
    try {
      return await this.#deps.store.loadStates();
    } catch (error) {
      this.#deps.logger.warn({ err: error }, 'job states could not be read; dependents run whatever their upstream jobs do');
      return new Map();
    }
  }

  /** Whether a dependent runs: an upstream job that is disabled or unknown takes nothing down. */
  #upstream(job: Job, byJob: ReadonlyMap<string, Job>, states: ReadonlyMap<string, JobState>): UpstreamDecision {
    return decideUpstream(
      job.name,
      job.dependencies,
      (name) => byJob.get(name)?.dependencies?.dependsOn,
      (name) => (byJob.has(name) ? states.get(name)?.health : undefined),
    );
  }

  /** Starts one occurrence; `tick` is told when its run ends (one handler per run: no promise chain per check for the bookkeeping). */
  #start(job: Job, occurrence: Occurrence, tickEnd: number, abort: AbortSignal | undefined, tick: TickRuns, upstream?: UpstreamDecision): void {
    const runId = runIdFor(job.name, occurrence.scheduledAt);
    const request = { runId, trigger: 'schedule' as const, scheduledAt: occurrence.scheduledAt, catchUp: occurrence.catchUp, ...(upstream ? { upstream } : {}) };
    const run = this.#deps.runner.run(job, request, abort);
    this.#inFlight.set(runId, { job: job.name, scheduledAt: occurrence.scheduledAt, startedAt: this.#deps.clock.now(), tickEnd, run });
    tick.started++;
    this.#saveSoon();
    // The runner has recorded the run when it settles: its occurrence is no longer in flight.
    run.then(
      (value) => {
        this.#inFlight.delete(runId);
        tick.ended(value);
      },
      (error: unknown) => {
        this.#deps.logger.error({ err: error, job: job.name, runId }, 'scheduled run failed unexpectedly');
        this.#inFlight.delete(runId);
        tick.ended(undefined);
      },
    );
  }

  /** The runs of `tick` that end before `until` (epoch ms); the others go on without the tick. */
  async #settledBefore(tick: TickRuns, until: number): Promise<Run[]> {
    if (tick.pending > 0) {
      const timeUp = new AbortController();
      await Promise.race([tick.allEnded(), this.#deps.clock.sleepUntil(until, timeUp.signal).catch(() => undefined)]);
      timeUp.abort();
    }
    return tick.close();
  }

  /**
   * `ahead` (queue mode): plans one tick further, up to just before the tick after next, so that an
   * occurrence on the next tick's boundary is queued a tick early and visible before its instant
   * like any other (planned by that tick, it would be put at its instant and start late).
   */
  async #plan(save = true, ahead = false): Promise<{ occurrences: Occurrence[]; jobs: readonly Job[]; end: number; waitUntil: number }> {
    const { catalog, clock, store, tickSchedule } = this.#deps;
    const now = clock.now();
    const find = this.#occurrences;
    const nextTick = find.next(tickSchedule, now) ?? now + 10_000;
    const tickAfter = find.next(tickSchedule, nextTick) ?? nextTick + 10_000;
    const lookbackMs = tickAfter - nextTick;
    // Plan up to just before the next tick: occurrences on the boundary belong to that tick, so this
    // invocation normally ends before it and the timer stays on time.
    const horizon = (ahead ? tickAfter : nextTick) - 1;
    const jobs = (await catalog.list()).filter((job) => job.enabled);
    const tickAt = find.previous(tickSchedule, now) ?? now;
    const cursors = await store.loadCursors();
    const running = new Set(this.#inFlight.keys());
    const recorded = await this.#recorded(leftovers(cursors, running));
    const plan = planTick({ jobs, cursors, now, tickAt, horizon, lookbackMs, running, recorded, occurrences: find });
    this.#planned = plan.cursors;
    if (save) await this.#save();
    return { occurrences: plan.occurrences, jobs, end: horizon, waitUntil: nextTick - endMarginMs(lookbackMs) };
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
    for (const { job, scheduledAt } of unstarted) {
      this.#planned[job] = Math.min(this.#planned[job] ?? scheduledAt, scheduledAt - 1);
    }
    await this.#save();
  }

  /** Persists the cursors: how far each job is planned, and the occurrences in flight. */
  #save(): Promise<void> {
    return this.#deps.store.saveCursors(withStarted(this.#planned, this.#inFlight.values()));
  }

  /** Queues one save for the starts (and, at a tick's end, the ends) of runs until it happens, after any planning in progress. */
  #saveSoon(): void {
    if (this.#saveQueued) return;
    this.#saveQueued = true;
    void this.#exclusive(() => {
      this.#saveQueued = false;
      return this.#save();
    }).catch((error: unknown) => this.#deps.logger.warn({ err: error }, 'could not save the runs in flight; a crash now could lose them'));
  }

  /**
   * The run ids of `candidates` (occurrences left over by a process that died) whose run the store
   * has: the process recorded them but died before saying so. A store that cannot answer says none.
   */
  async #recorded(candidates: ReadonlyArray<{ job: string; scheduledAt: number; runId: string }>): Promise<Set<string>> {
    const recorded = new Set<string>();
    await Promise.all(
      candidates.map(async ({ job, scheduledAt, runId }) => {
        try {
          // Run keys start with the inverted instant: the first key after `<instant>_` is this occurrence's run, if stored.
          const [run] = await this.#deps.store.listRuns(job, { limit: 1, after: `${invertedTime(scheduledAt)}_` });
          if (run?.runId === runId) recorded.add(runId);
        } catch (error) {
          this.#deps.logger.warn({ err: error, job, runId }, 'could not tell whether a run left over by a stopped process was recorded; catching it up');
        }
      }),
    );
    return recorded;
  }
}

/** The runs one tick started: how many, and those that ended while the tick waited. */
class TickRuns {
  started = 0;
  #finished: Run[] | undefined = [];
  #ended = 0;
  #allEnded: (() => void) | undefined;

  get pending(): number {
    return this.started - this.#ended;
  }

  /** A run ended (`undefined`: it failed unexpectedly). */
  ended(run: Run | undefined): void {
    this.#ended++;
    if (run) this.#finished?.push(run);
    if (this.pending === 0) this.#allEnded?.();
  }

  /** Resolves when every run started so far has ended. */
  allEnded(): Promise<void> {
    return this.pending === 0 ? Promise.resolve() : new Promise((resolve) => (this.#allEnded = resolve));
  }

  /** The runs that ended so far; later ends are no longer kept. */
  close(): Run[] {
    const finished = this.#finished ?? [];
    this.#finished = undefined;
    this.#allEnded = undefined;
    return finished;
  }
}
