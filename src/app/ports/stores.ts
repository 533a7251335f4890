import type { AlertStateStore, OutboxStore } from './alerts.js';
import type { AuditEntry } from '../../domain/audit.js';
import type { PageRequest } from '../../domain/history.js';
import type { Cursors } from '../../domain/plan.js';
import type { Run } from '../../domain/run.js';
import type { JobState } from '../../domain/state.js';
import type { ComponentHealth } from './health.js';
import type { JobRepository } from './jobs.js';
import type { OccurrenceClaims } from './queue.js';
import type { RollupStore } from './rollups.js';

/**
 * The role ports: each consumer takes the few it uses (the dispatcher its own state, the check
 * runner circuits, job state and runs, the API jobs, history and audit), not the whole store.
 * `StateStore` is what a store implements as a whole.
 */

/** Circuit-breaker state per job and location (like `JobStateStore`): cockatiel's `CircuitBreakerPolicy.toJSON()`, serialised as JSON text. */
export interface CircuitStateStore {
  loadCircuit(job: string): Promise<string | undefined>;
  /** Never waits for storage (the Table store writes it behind). */
  saveCircuit(job: string, state: string): Promise<void>;
}

/**
 * What the dispatcher remembers between ticks, per location (each region has its own timer).
 * Saves never wait for storage; loads serve memory once read.
 */
export interface DispatcherStateStore {
  /** How far each job was planned (`{}` before the first tick, or when storage could not be read). */
  loadCursors(): Promise<Cursors>;
  saveCursors(cursors: Cursors): Promise<void>;
  /** Epoch ms of the last completed tick, or `undefined` if none yet. */
  loadLastTick(): Promise<number | undefined>;
  saveLastTick(at: number): Promise<void>;
}

/**
 * Per-job health state (UP/DOWN/UNKNOWN and counts), kept per location (issue 13, item 5): a store is
 * built for this instance's location (`PULSECHECK_RUN_LOCATION`), and its loads and saves are that
 * location's; several regions share one store without overwriting each other. Saves never wait for storage.
 */
export interface JobStateStore {
  /** This location's state of the job. */
  loadState(job: string): Promise<JobState | undefined>;
  /** This location's state of every job that has one, by job name (one query, for `GET /api/jobs`). */
  loadStates(): Promise<ReadonlyMap<string, JobState>>;
  saveState(job: string, state: JobState): Promise<void>;
  /** Every location's state of the job, this one's included, by location (`GET /api/jobs/{name}`). */
  loadLocations(job: string): Promise<ReadonlyMap<string, JobState>>;
  /** Forgets a deleted job's state and circuit in every location (its run history is kept until retention removes it). */
  forgetJob(job: string): Promise<void>;
}

/** Run history, newest first (by `scheduledAt`, then `runId`: see `domain/history.ts`). */
export interface RunStore {
  /**
   * Records a run. Recording the same `runId` again keeps one record (redelivered occurrences). The
   * run may be written in the background; `flush()` waits until it is stored.
   */
  recordRun(run: Run): Promise<void>;
  /**
   * Resolves when `run`, recorded before, is stored (or given up: dropped while storage failed).
   * Absent: `recordRun` stores before it resolves. Queue mode deletes a message only then.
   */
  whenStored?(run: Run): Promise<void>;
  /** Up to `limit` runs of a job with a sort key after `after`, newest first. */
  listRuns(job: string, page: PageRequest): Promise<Run[]>;
  /**
   * Deletes about `max` runs (of any job) scheduled before `before` (epoch ms), in any order; returns
   * how many it deleted. A store may keep runs up to a minute older than `before` (the Table store
   * deletes whole minutes). Called repeatedly by the retention timer until it returns less than `max`.
   */
  deleteRunsBefore(before: number, max: number): Promise<number>;
}

/** The audit log of changes made through the API, newest first. */
export interface AuditStore {
  recordAudit(entry: AuditEntry): Promise<void>;
  /** Up to `limit` entries with a sort key after `after` (see `auditKey`), newest first. */
  listAudit(page: PageRequest): Promise<AuditEntry[]>;
}

/** See `StoreLifecycle.flush`. */
export interface FlushOptions {
  readonly periodic?: boolean;
}

/** What a whole store does besides its roles: flushing, health, closing. */
export interface StoreLifecycle {
  /** A short description for /api/health, e.g. `memory` or `table`. */
  readonly kind: string;
  /** Whether the data outlives the process (false for the memory store). */
  readonly durable: boolean;
  /**
   * Resolves when every write accepted so far is stored (writes may be batched in the background),
   * or at once while storage is failing (they stay pending and are retried). `periodic` (the
   * dispatcher's flush at the end of each tick): what may wait longer without being lost to a
   * crash or hidden from this process's reads (rollups) keeps waiting for its own, longer batch, so
   * a tick costs fewer entities written.
   */
  flush(options?: FlushOptions): Promise<void>;
  /** The store's own health for `/api/health` (reachable, writes pending or failing). */
  health(): Promise<ComponentHealth> | ComponentHealth;
  /** Stores what is pending and releases connections; the store is not used afterwards. */
  close(): Promise<void>;
}

/** Everything that must outlive an invocation: every role, and the lifecycle. */
export interface StateStore
  extends CircuitStateStore,
    DispatcherStateStore,
    JobStateStore,
    RunStore,
    RollupStore,
    AuditStore,
    JobRepository,
    AlertStateStore,
    OutboxStore,
    StoreLifecycle {
  /** Occurrence claims of queue mode (docs/scaling.md), in the same storage. Absent: claims in memory (one instance). */
  readonly claims?: OccurrenceClaims;
}
