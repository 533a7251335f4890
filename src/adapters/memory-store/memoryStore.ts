import type { ComponentHealth, StateStore, StoredJob } from '../../app/ports/index.js';
import { auditKey, type AuditEntry } from '../../domain/audit.js';
import { PulsecheckError, notFound, preconditionFailed } from '../../domain/errors.js';
import { runKey, type PageRequest } from '../../domain/history.js';
import type { Cursors } from '../../domain/plan.js';
import type { Run } from '../../domain/run.js';
import type { JobState } from '../../domain/state.js';
import type { CompactionReport, RollupQuery } from '../../app/ports/rollups.js';
import type { RollupBucket } from '../../domain/rollup.js';
import { MemoryRollups } from './memoryRollups.js';
import { MemoryAlerts } from './memoryAlerts.js';
import type { AlertRecord, DeliveryFailure, NewDelivery, OutboxEntry } from '../../app/ports/alerts.js';

export interface MemoryStoreOptions {
  /** Runs kept per job at most, newest first. Default 100. */
  readonly maxRunsPerJob?: number;
  /**
   * Runs kept in all, whatever the job count (about 1 KB each). Past it, the jobs with the most runs
   * lose their oldest: each job keeps at least `maxRuns / jobs` (and always its newest). Default 20 000.
   */
  readonly maxRuns?: number;
  /** Audit entries kept, newest first. Default 10 000. */
  readonly maxAuditEntries?: number;
  /** Rollup buckets kept (see MemoryRollups). Default 200 000. */
  readonly maxRollups?: number;
  /** The location whose job states this store keeps (the only one: a memory store is one instance's). Default `local`. */
  readonly location?: string;
}

interface History {
  /** Oldest key first (appends are cheap); read backwards. */
  readonly keys: string[];
  readonly runs: Map<string, Run>;
}

/**
 * Everything in process memory: the store when no `AzureWebJobsStorage` is configured, and the fake
 * for tests (the contract suites run against it and the Table store). Lost on restart. Bounded:
 * `maxRuns` runs in all, whatever the job count, and `maxAuditEntries`. API jobs and
 * audit entries are copied in and out, as a real store would; runs, immutable and on the check path,
 * are kept as they are.
 */
export class MemoryStore implements StateStore {
  readonly kind = 'memory';
  readonly durable = false;
  readonly #circuits = new Map<string, string>();
  readonly #states = new Map<string, JobState>();
  readonly #history = new Map<string, History>();
  readonly #jobs = new Map<string, StoredJob>();
  readonly #audit = { keys: [] as string[], entries: new Map<string, AuditEntry>() };
  readonly #maxRunsPerJob: number;
  readonly #maxRuns: number;
  readonly #maxAuditEntries: number;
  /** Runs held, all jobs together. */
  #runs = 0;
  #cursors: Cursors = {};
  #lastTick: number | undefined;
  readonly #rollups: MemoryRollups;
  readonly #alerts = new MemoryAlerts();
  readonly #location: string;

  constructor(options: MemoryStoreOptions = {}) {
    this.#location = options.location ?? 'local';
    this.#rollups = new MemoryRollups(options.maxRollups);
    this.#maxRunsPerJob = options.maxRunsPerJob ?? 100;
    this.#maxRuns = options.maxRuns ?? 20_000;
    this.#maxAuditEntries = options.maxAuditEntries ?? 10_000;
  }

  async loadCircuit(job: string): Promise<string | undefined> {
    return this.#circuits.get(job);
  }

  async saveCircuit(job: string, state: string): Promise<void> {
    this.#circuits.set(job, state);
  }

  async loadCursors(): Promise<Cursors> {
    return { ...this.#cursors };
  }

  async saveCursors(cursors: Cursors): Promise<void> {
    this.#cursors = { ...cursors };
  }

  async loadLastTick(): Promise<number | undefined> {
    return this.#lastTick;
  }

  async saveLastTick(at: number): Promise<void> {
    this.#lastTick = at;
  }

  async loadState(job: string): Promise<JobState | undefined> {
    return this.#states.get(job);
  }

  async loadStates(): Promise<ReadonlyMap<string, JobState>> {
    return new Map(this.#states);
  }

  async saveState(job: string, state: JobState): Promise<void> {
    this.#states.set(job, state);
  }

  async loadLocations(job: string): Promise<ReadonlyMap<string, JobState>> {
    const state = this.#states.get(job);
    return new Map(state ? [[this.#location, state]] : []);
  }

  async forgetJob(job: string): Promise<void> {
    this.#states.delete(job);
    this.#circuits.delete(job);
  }

  async recordRun(run: Run): Promise<void> {
    let history = this.#history.get(run.job);
    if (!history) this.#history.set(run.job, (history = { keys: [], runs: new Map() }));
    const key = runKey(run);
    if (history.runs.has(key)) return; // a redelivered occurrence is recorded once
    history.runs.set(key, run); // runs are immutable values: kept as they are, not copied (the check path)
    insertDescending(history.keys, key);
    this.#runs++;
    // Trimmed in batches, so recording stays O(1) amortised.
    if (history.keys.length >= this.#maxRunsPerJob + 64) this.#trim(history, this.#maxRunsPerJob);
    if (this.#runs > this.#maxRuns + Math.max(64, this.#maxRuns >> 4)) this.#trimAll();
  }

  /** Keeps the newest `keep` runs of a history. */
  #trim(history: History, keep: number): void {
    const dropped = history.keys.splice(0, Math.max(0, history.keys.length - keep));
    for (const key of dropped) history.runs.delete(key);
    this.#runs -= dropped.length;
  }

  /** Brings the total down to `maxRuns`: every job keeps up to the same share, the largest one that fits (at least one run). */
  #trimAll(): void {
    const lengths = [...this.#history.values()].map((h) => h.keys.length).sort((a, b) => a - b);
    let left = this.#maxRuns;
    let share = Infinity;
    for (const [i, length] of lengths.entries()) {
      const even = Math.floor(left / (lengths.length - i));
      if (length > even) {
        share = Math.max(1, even);
        break;
      }
      left -= length;
    }
    for (const history of this.#history.values()) if (history.keys.length > share) this.#trim(history, share);
  }

  async listRuns(job: string, page: PageRequest): Promise<Run[]> {
    const history = this.#history.get(job);
    return history ? newestFirst(history.keys, page, (key) => history.runs.get(key) as Run) : [];
  }

  async deleteRunsBefore(before: number, max: number): Promise<number> {
    let deleted = 0;
    for (const history of this.#history.values()) {
      // Oldest first: stop at the first run that is recent enough.
      while (deleted < max && history.keys.length > 0) {
        const key = history.keys[0] as string;
        if (Date.parse((history.runs.get(key) as Run).scheduledAt) >= before) break;
        history.keys.shift();
        history.runs.delete(key);
        this.#runs--;
        deleted++;
      }
    }
    return deleted;
  }

  addRollups(deltas: readonly RollupBucket[]): Promise<void> {
    return this.#rollups.addRollups(deltas);
  }

  listRollups(query: RollupQuery): Promise<RollupBucket[]> {
    return this.#rollups.listRollups(query);
  }

  compactRollups(closedBefore: number, deleteBefore: number, max: number): Promise<CompactionReport> {
    return this.#rollups.compactRollups(closedBefore, deleteBefore, max);
  }

  loadAlert(job: string, rule: number): Promise<AlertRecord | undefined> {
    return this.#alerts.loadAlert(job, rule);
  }

  commitAlert(next: Omit<AlertRecord, 'version'>, expected: string | null, deliveries: readonly NewDelivery[]): Promise<boolean> {
    return this.#alerts.commitAlert(next, expected, deliveries);
  }

  listAlerts(): Promise<AlertRecord[]> {
    return this.#alerts.listAlerts();
  }

  dueDeliveries(now: number, max: number): Promise<OutboxEntry[]> {
    return this.#alerts.dueDeliveries(now, max);
  }

  claimDelivery(entry: OutboxEntry, until: number): Promise<OutboxEntry | undefined> {
    return this.#alerts.claimDelivery(entry, until);
  }

  completeDelivery(entry: OutboxEntry): Promise<void> {
    return this.#alerts.completeDelivery(entry);
  }

  failDelivery(entry: OutboxEntry, failure: DeliveryFailure): Promise<void> {
    return this.#alerts.failDelivery(entry, failure);
  }

  countDeadDeliveries(): Promise<number> {
    return this.#alerts.countDeadDeliveries();
  }

  async recordAudit(entry: AuditEntry): Promise<void> {
    const { keys, entries } = this.#audit;
    const key = auditKey(entry);
    entries.set(key, structuredClone(entry));
    insertDescending(keys, key);
    if (keys.length > this.#maxAuditEntries) for (const dropped of keys.splice(0, keys.length - this.#maxAuditEntries)) entries.delete(dropped);
  }

  async listAudit(page: PageRequest): Promise<AuditEntry[]> {
    const { keys, entries } = this.#audit;
    return newestFirst(keys, page, (key) => structuredClone(entries.get(key) as AuditEntry));
  }

  // Jobs are stored as frozen copies and handed out as they are: listing 1 000 jobs copies nothing.
  async listJobs(): Promise<StoredJob[]> {
    return [...this.#jobs.values()];
  }

  async getJob(name: string): Promise<StoredJob | undefined> {
    return this.#jobs.get(name.toLowerCase());
  }

  async createJob(job: StoredJob): Promise<StoredJob> {
    if (this.#jobs.has(job.name.toLowerCase())) throw new PulsecheckError('conflict', `a job named "${job.name}" already exists`);
    this.#jobs.set(job.name.toLowerCase(), frozenCopy(job));
    return job;
  }

  async replaceJob(job: StoredJob, expectedEtag: string): Promise<StoredJob> {
    this.#current(job.name, expectedEtag);
    this.#jobs.set(job.name.toLowerCase(), frozenCopy(job));
    return job;
  }

  async deleteJob(name: string, expectedEtag: string): Promise<void> {
    this.#current(name, expectedEtag);
    this.#jobs.delete(name.toLowerCase());
  }

  /** The stored job, checked against the revision the caller expects. */
  #current(name: string, expectedEtag: string): StoredJob {
    const stored = this.#jobs.get(name.toLowerCase());
    if (!stored) throw notFound(`job "${name}"`);
    if (stored.etag !== expectedEtag) throw preconditionFailed(`job "${stored.name}"`);
    return stored;
  }

  async flush(): Promise<void> {}

  health(): ComponentHealth {
    return { status: 'ok', detail: 'memory: jobs created through the API, state and history are lost on restart' };
  }

  async close(): Promise<void> {}
}

/** A deep copy that cannot be changed, so it can be handed out without copying again. */
function frozenCopy<T>(value: T): T {
  const freeze = (v: unknown): unknown => {
    if (v !== null && typeof v === 'object') {
      for (const child of Object.values(v)) freeze(child);
      Object.freeze(v);
    }
    return v;
  };
  return freeze(structuredClone(value)) as T;
}

/**
 * Adds `key` to `keys`, kept sorted descending (the oldest-first append order of newest-first keys):
 * a new run or entry normally has the smallest key, and is appended at the end.
 */
function insertDescending(keys: string[], key: string): void {
  if (keys.length === 0 || key < (keys[keys.length - 1] as string)) keys.push(key);
  else keys.splice(sortedIndexDescending(keys, key), 0, key);
}

/** A page of the values of `keys` (sorted descending), newest first: up to `limit`, after `after`. */
function newestFirst<T>(keys: readonly string[], page: PageRequest, value: (key: string) => T): T[] {
  const values: T[] = [];
  for (let i = keys.length - 1; i >= 0 && values.length < page.limit; i--) {
    const key = keys[i] as string;
    if (page.after === undefined || key > page.after) values.push(value(key));
  }
  return values;
}

/** Where `key` goes in keys sorted descending (oldest-first append order of newest-first keys). */
function sortedIndexDescending(keys: readonly string[], key: string): number {
  let low = 0;
  let high = keys.length;
  while (low < high) {
    const mid = (low + high) >>> 1;
    if ((keys[mid] as string) > key) low = mid + 1;
    else high = mid;
  }
  return low;
}
