import type { Logger } from '../../app/ports/index.js';
import { runKey } from '../../domain/history.js';
import type { Run } from '../../domain/run.js';
import type { JobState } from '../../domain/state.js';
import { chunks, inParallel, isPermanent } from './entities.js';

/** What a job's state entity holds; each field is written only when it changed. */
export interface JobEntity {
  readonly state?: JobState;
  readonly circuit?: string;
}

/** A run waiting to be written: its JSON text and when it was scheduled (epoch ms). */
export interface SerializedRun {
  readonly json: string;
  readonly scheduledAt: number;
}

export interface Writers {
  /** Stores up to 100 runs of one job. */
  runs(job: string, runs: readonly SerializedRun[]): Promise<void>;
  /** Merges up to 100 job state entities (one transaction). */
  jobEntities(entities: ReadonlyArray<{ job: string } & JobEntity>): Promise<void>;
}

export interface WriteBehindOptions {
  readonly writers: Writers;
  readonly logger: Logger;
  /** Runs waiting to be stored before `addRun` waits for room. Default 10 000 (about 10 MB). */
  readonly maxPendingRuns?: number;
}

/** Transactions in flight at once. */
const CONCURRENCY = 16;
/**
 * How long a write waits for others to join it, in ms. `flush()` does not wait (the dispatcher
 * flushes at the end of every tick, so a tick's runs are stored before it completes).
 */
const LINGER_MS = 2_000;

/**
 * Kept as JSON text, not as the run object: a pending run lives through several young-generation
 * collections, and a string is far cheaper for the collector than an object graph.
 */
interface PendingRun extends SerializedRun {
  inFlight: boolean;
}

interface Dirty {
  state?: JobState;
  circuit?: string;
  version: number;
  /** The version being written, if a write is in flight. */
  writing?: number;
}

/**
 * Write-behind of runs and job state, so that recording never waits for a round trip on the check
 * path. A write waits `lingerMs` for others to join it; what accumulated is written together,
 * grouped by job (see the Table store: a job's runs of the same minute become one entity), state
 * entities 100 per transaction: under load, batches grow instead of requests multiplying (each
 * entity costs the SDK about 0.1 ms of CPU, which would otherwise be taken from the checks).
 *
 * Memory is bounded: past `maxPendingRuns`, `addRun` waits for room while storage accepts writes
 * (backpressure). While storage is failing, it drops the oldest pending run instead, counts it and
 * logs it, so a storage outage never stops the checks (their results are still in the logs).
 * A write rejected for good (4xx) is dropped, counted and logged; other failures are retried with
 * backoff (the SDK has already retried each request).
 */
export class WriteBehind {
  readonly #writers: Writers;
  readonly #logger: Logger;
  readonly #max: number;
  readonly #runs = new Map<string, Map<string, PendingRun>>();
  readonly #dirty = new Map<string, Dirty>();
  #pendingRuns = 0;
  #version = 0;
  #running: Promise<void> | undefined;
  #again = false;
  /** Callers of `flush()` waiting: writes then follow each other without lingering. */
  #flushing = 0;
  #waiting: Array<() => void> = [];
  #retry: NodeJS.Timeout | undefined;
  #linger: NodeJS.Timeout | undefined;
  /** Set while the last write failed. */
  failure: { readonly error: unknown; readonly since: number; consecutive: number } | undefined;
  /** Runs that could not be stored (dropped), since start. */
  lost = 0;

  constructor(options: WriteBehindOptions) {
    this.#writers = options.writers;
    this.#logger = options.logger;
    this.#max = options.maxPendingRuns ?? 10_000;
  }

  get pending(): number {
    return this.#pendingRuns + this.#dirty.size;
  }

  async addRun(run: Run): Promise<void> {
    while (this.#pendingRuns >= this.#max) {
      if (this.failure) {
        this.#dropOldest();
        break;
      }
      if (!this.#running && !this.#retry) void this.#start(); // full: no lingering
      await new Promise<void>((resolve) => this.#waiting.push(resolve));
    }
    let runs = this.#runs.get(run.job);
    if (!runs) this.#runs.set(run.job, (runs = new Map()));
    const key = runKey(run);
    if (runs.has(key)) return;
    runs.set(key, { json: JSON.stringify(run), scheduledAt: Date.parse(run.scheduledAt), inFlight: false });
    this.#pendingRuns++;
    this.#kick();
  }

  setEntity(job: string, change: JobEntity): void {
    const dirty = this.#dirty.get(job);
    const version = ++this.#version;
    if (!dirty) this.#dirty.set(job, { ...change, version });
    else {
      // In place, without allocating: this runs once or twice per check.
      if (change.state) dirty.state = change.state;
      if (change.circuit !== undefined) dirty.circuit = change.circuit;
      dirty.version = version;
    }
    this.#kick();
  }

  /** Runs of `job` not stored yet. */
  pendingRunsOf(job: string): Run[] {
    return [...(this.#runs.get(job)?.values() ?? [])].map((p) => JSON.parse(p.json) as Run);
  }

  /** The state entity of `job` as last set, if not stored yet. */
  pendingEntityOf(job: string): JobEntity | undefined {
    return this.#dirty.get(job);
  }

  /** Every job whose state entity is not stored yet. */
  pendingEntityJobs(): IterableIterator<string> {
    return this.#dirty.keys();
  }

  /** Forgets what is pending for a deleted job's state. */
  discardEntity(job: string): void {
    this.#dirty.delete(job);
  }

  /**
   * Resolves when everything accepted so far is stored, or when an attempt to store it has failed
   * (it stays pending and is retried in the background).
   */
  async flush(): Promise<void> {
    this.#flushing++;
    try {
      while (this.pending > 0) {
        await (this.#running ?? this.#start());
        if (this.failure) return;
      }
    } finally {
      this.#flushing--;
    }
  }

  /** Stops retrying in the background (after a last `flush`). */
  stop(): void {
    clearTimeout(this.#retry);
    clearTimeout(this.#linger);
    this.#retry = undefined;
    this.#linger = undefined;
  }

  #kick(): void {
    if (this.#running) this.#again = true;
    else if (!this.#retry && !this.#linger) {
      this.#linger = setTimeout(() => void this.#start(), LINGER_MS);
      this.#linger.unref();
    }
  }

  #start(): Promise<void> {
    clearTimeout(this.#retry);
    clearTimeout(this.#linger);
    this.#retry = undefined;
    this.#linger = undefined;
    this.#running = (async () => {
      do {
        this.#again = false;
        if (!(await this.#cycle())) {
          this.#scheduleRetry();
          return;
        }
      } while (this.#flushing > 0 && (this.#again || this.#hasUnsent()));
    })().finally(() => {
      this.#running = undefined;
      // What arrived during the write waits for the next one (unless a flush is waiting for it).
      if (this.#hasUnsent()) this.#kick();
    });
    return this.#running;
  }

  #hasUnsent(): boolean {
    if (this.#dirty.size > 0 && [...this.#dirty.values()].some((d) => d.writing === undefined)) return true;
    for (const runs of this.#runs.values()) for (const p of runs.values()) if (!p.inFlight) return true;
    return false;
  }

  /** One round: every pending write, in transactions. Returns false if any failed transiently. */
  async #cycle(): Promise<boolean> {
    const tasks: Array<() => Promise<void>> = [];
    let transient: unknown;
    for (const [job, runs] of this.#runs) {
      const batch = [...runs.entries()].filter(([, p]) => !p.inFlight);
      for (const [, p] of batch) p.inFlight = true;
      for (const part of chunks(batch)) {
        tasks.push(async () => {
          try {
            await this.#writers.runs(job, part.map(([, p]) => p));
            this.#settleRuns(job, part);
          } catch (error) {
            if (isPermanent(error)) {
              this.#settleRuns(job, part);
              this.#lose(part.length, error);
            } else {
              for (const [, p] of part) p.inFlight = false;
              transient = error;
            }
          }
        });
      }
    }
    const entities = [...this.#dirty.entries()].filter(([, d]) => d.writing === undefined);
    for (const [, d] of entities) d.writing = d.version;
    for (const part of chunks(entities)) {
      tasks.push(async () => {
        try {
          await this.#writers.jobEntities(part.map(([job, d]) => ({ job, ...(d.state ? { state: d.state } : {}), ...(d.circuit !== undefined ? { circuit: d.circuit } : {}) })));
          this.#settleEntities(part, true);
        } catch (error) {
          const permanent = isPermanent(error);
          this.#settleEntities(part, permanent);
          if (permanent) this.#logger.error({ err: error, jobs: part.length }, 'job state could not be stored');
          else transient = error;
        }
      });
    }
    await inParallel(tasks, CONCURRENCY);
    if (transient === undefined) this.failure = undefined;
    else this.failure = { error: transient, since: this.failure?.since ?? Date.now(), consecutive: (this.failure?.consecutive ?? 0) + 1 };
    for (const wake of this.#waiting.splice(0)) wake();
    return transient === undefined;
  }

  #settleRuns(job: string, part: ReadonlyArray<[string, PendingRun]>): void {
    const runs = this.#runs.get(job);
    if (!runs) return;
    for (const [key] of part) if (runs.delete(key)) this.#pendingRuns--;
    if (runs.size === 0) this.#runs.delete(job);
  }

  #settleEntities(part: ReadonlyArray<[string, Dirty]>, done: boolean): void {
    for (const [job, d] of part) {
      if (done && this.#dirty.get(job) === d && d.version === d.writing) this.#dirty.delete(job);
      else delete d.writing;
    }
  }

  #dropOldest(): void {
    for (const [job, runs] of this.#runs) {
      for (const [key, p] of runs) {
        if (p.inFlight) continue;
        runs.delete(key);
        if (runs.size === 0) this.#runs.delete(job);
        this.#pendingRuns--;
        this.#lose(1, this.failure?.error);
        return;
      }
    }
  }

  #lose(count: number, error: unknown): void {
    this.lost += count;
    this.#logger.error({ err: error, runs: count, lostSinceStart: this.lost }, 'runs could not be stored in the run history (they are in the logs)');
  }

  #scheduleRetry(): void {
    const delay = Math.min(30_000, 500 * 2 ** Math.min(6, (this.failure?.consecutive ?? 1) - 1));
    this.#retry = setTimeout(() => void this.#start(), delay);
    this.#retry.unref();
  }
}
