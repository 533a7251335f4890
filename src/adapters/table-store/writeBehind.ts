import { randomBytes } from 'node:crypto';
import type { Clock, Logger } from '../../app/ports/index.js';
import { runKey } from '../../domain/history.js';
import type { Run } from '../../domain/run.js';
import { chunks, inParallel, isPermanent } from './entities.js';

/** A run waiting to be written: its job, its JSON text and when it was scheduled (epoch ms). */
export interface SerializedRun {
  readonly job: string;
  readonly json: string;
  readonly scheduledAt: number;
}

/** Properties of one entity to merge into the stored one. */
export interface EntityWrite {
  readonly rowKey: string;
  readonly props: Readonly<Record<string, unknown>>;
}

export interface Writers {
  /**
   * Stores up to 100 runs of jobs in one partition (one transaction). `batch` names this group of
   * runs: a group that failed is sent again as it was, with the same `batch`, so a write that
   * succeeded unseen is replaced, not doubled.
   */
  runs(partition: string, runs: readonly SerializedRun[], batch: string): Promise<void>;
  /** Merges up to 100 entities of one partition (one transaction). */
  entities(table: string, partition: string, entities: readonly EntityWrite[]): Promise<void>;
}

export interface WriteBehindOptions {
  readonly writers: Writers;
  readonly logger: Logger;
  readonly clock: Clock;
  /** The partition a job's runs are written to: runs of a partition are written together. */
  readonly runPartition: (job: string) => string;
  /** Runs waiting to be stored before `addRun` waits for room. Default 10 000 (about 10 MB). */
  readonly maxPendingRuns?: number;
}

/** Transactions in flight at once. */
const CONCURRENCY = 16;
/** How long a write waits for others to join it, in ms. `flush()` does not wait. */
const LINGER_MS = 2_000;

/**
 * Kept as JSON text, not as the run object: a pending run lives through several young-generation
 * collections, and a string is far cheaper for the collector than an object graph.
 */
interface PendingRun extends SerializedRun {
  /** Its run key (see `runKey`). */
  readonly key: string;
  inFlight: boolean;
  /** The group it was first sent in (kept when that write failed). */
  batch?: string;
}

interface Dirty {
  readonly table: string;
  readonly partition: string;
  readonly rowKey: string;
  props: Record<string, unknown>;
  version: number;
  /** The version being written, if a write is in flight. */
  writing?: number;
  /** Written at once, without lingering (until written). */
  urgent?: boolean;
}

/**
 * Write-behind of runs and small entities (job state, dispatcher state), so that nothing on the
 * check path waits for a round trip. A write waits `LINGER_MS` for others to join it; what
 * accumulated is written together, 100 per transaction within a partition: runs of the jobs that
 * share a partition (the Table store turns them into one entity per job and minute), entities. Under load batches grow instead of
 * requests multiplying.
 *
 * Memory is bounded: past `maxPendingRuns`, `addRun` waits for room while storage accepts writes
 * (backpressure). While storage is failing, it drops the oldest pending run instead, counts it and
 * logs it, so a storage outage never stops the checks (their results are still in the logs).
 * A write rejected for good (4xx) is dropped, counted and logged; other failures are retried with
 * backoff (the SDK has already retried each request, briefly), for as long as it takes.
 *
 * One file over 300 lines: runs and entities share one write cycle, its backoff and `flush`.
 */
export class WriteBehind {
  readonly #writers: Writers;
  readonly #logger: Logger;
  readonly #clock: Clock;
  readonly #partitionOf: (job: string) => string;
  readonly #max: number;
  readonly #runs = new Map<string, Map<string, PendingRun>>();
  readonly #dirty = new Map<string, Dirty>();
  #pendingRuns = 0;
  #version = 0;
  #running: Promise<void> | undefined;
  #again = false;
  /** An urgent entity was set while a write was in flight. */
  #urgentAgain = false;
  /** The linger ended while a write was in flight: the full write follows it at once. */
  #lingerDue = false;
  /** Callers of `flush()` waiting: writes then follow each other without lingering. */
  #flushing = 0;
  #waiting: Array<() => void> = [];
  #retry: NodeJS.Timeout | undefined;
  #linger: NodeJS.Timeout | undefined;
  /** Set while the last write failed. */
  failure: { readonly error: unknown; readonly since: number; consecutive: number } | undefined;
  /** Runs that could not be stored (dropped), since start. */
  lost = 0;
  /** Callers of `whenStored`, by job and run key. */
  readonly #storedWaiters = new Map<string, Array<() => void>>();

  constructor(options: WriteBehindOptions) {
    this.#writers = options.writers;
    this.#logger = options.logger;
    this.#clock = options.clock;
    this.#partitionOf = options.runPartition;
    this.#max = options.maxPendingRuns ?? 10_000;
  }

  /** Runs and entities not stored yet. */
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
    runs.set(key, { key, job: run.job, json: JSON.stringify(run), scheduledAt: Date.parse(run.scheduledAt), inFlight: false });
    this.#pendingRuns++;
    this.#kick();
  }

  /** Resolves when `run` (added before) is no longer pending: stored, or dropped. At once if it is not pending. */
  whenStored(run: Run): Promise<void> {
    const key = runKey(run);
    if (!this.#runs.get(run.job)?.has(key)) return Promise.resolve();
    return new Promise((resolve) => {
      const id = `${run.job}/${key}`;
      const waiters = this.#storedWaiters.get(id);
      if (waiters) waiters.push(resolve);
      else this.#storedWaiters.set(id, [resolve]);
    });
  }

  #settled(job: string, key: string): void {
    const id = `${job}/${key}`;
    const waiters = this.#storedWaiters.get(id);
    if (!waiters) return;
    this.#storedWaiters.delete(id);
    for (const wake of waiters) wake();
  }

  /**
   * Merges `props` into the entity `table`/`partition`/`rowKey`, written in the background. `urgent`:
   * written at once (the caller still does not wait), alone or with other urgent entities, for
   * state whose loss in a crash costs more than a request (the dispatcher's runs in flight).
   */
  setEntity(table: string, partition: string, rowKey: string, props: Readonly<Record<string, unknown>>, urgent = false): void {
    const key = `${table}/${partition}/${rowKey}`;
    const dirty = this.#dirty.get(key);
    const version = ++this.#version;
    if (!dirty) this.#dirty.set(key, { table, partition, rowKey, props: { ...props }, version, ...(urgent ? { urgent } : {}) });
    else {
      Object.assign(dirty.props, props);
      dirty.version = version;
      if (urgent) dirty.urgent = true;
    }
    this.#kick(urgent);
  }

  /** Forgets what is pending for an entity (it is being deleted). */
  discardEntity(table: string, partition: string, rowKey: string): void {
    this.#dirty.delete(`${table}/${partition}/${rowKey}`);
  }

  /** Whether an entity has changes not stored yet. */
  hasEntity(table: string, partition: string, rowKey: string): boolean {
    return this.#dirty.has(`${table}/${partition}/${rowKey}`);
  }

  /** Runs of `job` not stored yet, as JSON text. */
  pendingRunsOf(job: string): SerializedRun[] {
    return [...(this.#runs.get(job)?.values() ?? [])];
  }

  /**
   * Resolves when everything accepted so far is stored, or at once while storage is failing (what
   * is pending stays, and is retried in the background). `final`: try once more even then (shutdown).
   */
  async flush(options: { final?: boolean } = {}): Promise<void> {
    if (this.failure && !options.final) return;
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

  /** Starts a retry waiting for its backoff at once (storage answers again). */
  retryNow(): void {
    if (this.#retry && !this.#running) void this.#start();
  }

  /** Stops retrying in the background (after a last `flush`). */
  stop(): void {
    clearTimeout(this.#retry);
    clearTimeout(this.#linger);
    this.#retry = undefined;
    this.#linger = undefined;
  }

  #kick(urgent = false): void {
    if (this.#running) {
      this.#again = true;
      if (urgent) this.#urgentAgain = true;
    } else if (this.#retry) return;
    else if (urgent) void this.#start(true);
    else if (!this.#linger) {
      this.#linger = setTimeout(() => {
        this.#linger = undefined;
        // Never two writes at once (an urgent one may be in flight): the second would find the
        // first's items in flight, and `flush` would loop on writes that send nothing.
        if (this.#running) this.#lingerDue = true;
        else void this.#start();
      }, LINGER_MS);
      this.#linger.unref();
    }
  }

  /** Writes what is pending; `urgentOnly`: only the urgent entities (what lingers goes on lingering). */
  #start(urgentOnly = false): Promise<void> {
    if (!urgentOnly) {
      this.stop();
      this.#lingerDue = false;
    }
    const running: Promise<void> = (async () => {
      do {
        this.#again = false;
        this.#urgentAgain = false;
        if (!(await this.#cycle(urgentOnly))) {
          this.#scheduleRetry();
          return;
        }
        // A flush waiting goes on at once, with everything (its own loop starts the full write).
      } while (!urgentOnly && this.#flushing > 0 && (this.#again || this.#hasUnsent()));
    })().finally(() => {
      if (this.#running !== running) return;
      this.#running = undefined;
      // What arrived during the write waits for the next one (unless a flush is waiting for it).
      if (this.#retry) return;
      if (this.#urgentAgain) void this.#start(true);
      else if (this.#lingerDue) void this.#start();
      else if (this.#hasUnsent()) this.#kick();
    });
    this.#running = running;
    return running;
  }

  #hasUnsent(): boolean {
    for (const d of this.#dirty.values()) if (d.writing === undefined) return true;
    for (const runs of this.#runs.values()) for (const p of runs.values()) if (!p.inFlight) return true;
    return false;
  }

  /** One round: every pending write, in transactions. Returns false if any failed transiently. */
  async #cycle(urgentOnly: boolean): Promise<boolean> {
    const tasks: Array<() => Promise<void>> = [];
    let transient: unknown;
    for (const [partition, batch, part] of urgentOnly ? [] : this.#runBatches()) {
      for (const p of part) p.inFlight = true;
      tasks.push(async () => {
        try {
          await this.#writers.runs(partition, part, batch);
          this.#settleRuns(part);
        } catch (error) {
          if (isPermanent(error)) {
            this.#settleRuns(part);
            this.#lose(part.length, error);
          } else {
            for (const p of part) p.inFlight = false;
            transient = error;
          }
        }
      });
    }
    for (const part of this.#entityBatches(urgentOnly)) {
      for (const d of part) d.writing = d.version;
      const first = part[0] as Dirty;
      tasks.push(async () => {
        try {
          await this.#writers.entities(first.table, first.partition, part.map((d) => ({ rowKey: d.rowKey, props: { ...d.props } })));
          this.#settleEntities(part, true);
        } catch (error) {
          const permanent = isPermanent(error);
          this.#settleEntities(part, permanent);
          if (permanent) this.#logger.error({ err: error, entities: part.length, table: first.table }, 'state could not be stored');
          else transient = error;
        }
      });
    }
    await inParallel(tasks, CONCURRENCY);
    if (transient === undefined) this.failure = undefined;
    else this.failure = { error: transient, since: this.failure?.since ?? this.#clock.now(), consecutive: (this.failure?.consecutive ?? 0) + 1 };
    for (const wake of this.#waiting.splice(0)) wake();
    return transient === undefined;
  }

  /** Entities not being written, by table and partition, 100 at most per group (one transaction). */
  #entityBatches(urgentOnly: boolean): Dirty[][] {
    const groups = new Map<string, Dirty[]>();
    for (const d of this.#dirty.values()) {
      if (d.writing !== undefined || (urgentOnly && !d.urgent)) continue;
      const key = `${d.table}/${d.partition}`;
      const group = groups.get(key);
      if (group) group.push(d);
      else groups.set(key, [d]);
    }
    return [...groups.values()].flatMap((group) => chunks(group));
  }

  /**
   * The unsent runs by partition, in groups of at most 100: runs sent before in a failed write keep
   * their group; the others form new groups.
   */
  #runBatches(): Array<[partition: string, batch: string, runs: PendingRun[]]> {
    const kept = new Map<string, [string, string, PendingRun[]]>();
    const fresh = new Map<string, PendingRun[]>();
    for (const [job, runs] of this.#runs) {
      const partition = this.#partitionOf(job);
      for (const p of runs.values()) {
        if (p.inFlight) continue;
        if (p.batch === undefined) {
          const list = fresh.get(partition);
          if (list) list.push(p);
          else fresh.set(partition, [p]);
        } else {
          const group = kept.get(p.batch);
          if (group) group[2].push(p);
          else kept.set(p.batch, [partition, p.batch, [p]]);
        }
      }
    }
    const groups = [...kept.values()];
    for (const [partition, list] of fresh) {
      for (const part of chunks(list)) {
        const batch = randomBytes(6).toString('hex');
        for (const p of part) p.batch = batch;
        groups.push([partition, batch, part]);
      }
    }
    return groups;
  }

  #settleRuns(part: readonly PendingRun[]): void {
    for (const p of part) {
      const runs = this.#runs.get(p.job);
      if (runs?.delete(p.key)) this.#pendingRuns--;
      if (runs?.size === 0) this.#runs.delete(p.job);
      this.#settled(p.job, p.key);
    }
  }

  #settleEntities(part: readonly Dirty[], done: boolean): void {
    for (const d of part) {
      const key = `${d.table}/${d.partition}/${d.rowKey}`;
      if (done && this.#dirty.get(key) === d && d.version === d.writing) this.#dirty.delete(key);
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
        this.#settled(job, key);
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
