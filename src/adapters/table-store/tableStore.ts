import { odata } from '@azure/data-tables';
import type { ComponentHealth, Logger, StateStore, StoredJob } from '../../app/ports/index.js';
import { auditKey, type AuditEntry } from '../../domain/audit.js';
import { runKey, type PageRequest } from '../../domain/history.js';
import type { Cursors } from '../../domain/plan.js';
import type { Run } from '../../domain/run.js';
import type { JobState } from '../../domain/state.js';
import { chunks, inParallel, pack, shardOf, unpack } from './entities.js';
import { JobsTable } from './jobsTable.js';
import { Tables, type Entity, type TableConnection } from './tables.js';
import { WriteBehind, type JobEntity } from './writeBehind.js';

export type { TableConnection } from './tables.js';

export interface TableStoreOptions {
  readonly connection: TableConnection;
  readonly logger: Logger;
  /** Prefix of every table name (letters and digits). Default `Pulsecheck`. */
  readonly tablePrefix?: string;
  /** Runs waiting to be written before recording waits (see WriteBehind). Default 10 000. */
  readonly maxPendingRuns?: number;
  /**
   * How long job states and the list of API jobs read from storage are reused, in ms: another
   * instance's changes show after at most this. Default 5 000.
   */
  readonly cacheTtlMs?: number;
  /** Retries of each request by the SDK (exponential backoff). Default the SDK's, 3. */
  readonly maxRetries?: number;
}

/**
 * Runs are spread over this many tables by a hash of the job name. Azure does not need it (a job's
 * history is one partition wherever it is), but Azurite scans a whole table for every query, so local
 * history queries stay fast with large histories. Changing it would hide existing history: it is fixed.
 */
export const RUN_TABLES = 8;
const RUNS = Array.from({ length: RUN_TABLES }, (_, i) => `Runs${i}`);
const STATE = 'State';
const AUDIT = 'Audit';

/**
 * Azure Table Storage (or Azurite):
 * - `<prefix>Jobs`: API-defined jobs (JobsTable);
 * - `<prefix>State`: partition `job` (each job's state and circuit, row key = name) and `dispatcher`;
 * - `<prefix>Runs0…7`: run history, partition = job name, row key = `runKey` (newest first);
 * - `<prefix>Audit`: partition `audit`, row key = `auditKey` (newest first).
 * Runs and job state are written behind (WriteBehind) and read back through a short cache;
 * everything else is written through.
 */
export class TableStore implements StateStore {
  readonly kind = 'table';
  readonly durable = true;
  readonly #tables: Tables;
  readonly #jobs: JobsTable;
  readonly #writer: WriteBehind;
  readonly #logger: Logger;
  readonly #ttl: number;
  readonly #entities = new Map<string, { value: JobEntity; at: number }>();
  #allEntitiesAt = 0;

  constructor(options: TableStoreOptions) {
    this.#tables = new Tables(options.connection, options.tablePrefix ?? 'Pulsecheck', ['Jobs', STATE, AUDIT, ...RUNS], options.maxRetries);
    this.#ttl = options.cacheTtlMs ?? 5_000;
    this.#logger = options.logger;
    this.#jobs = new JobsTable(this.#tables, this.#ttl);
    this.#writer = new WriteBehind({
      logger: options.logger,
      ...(options.maxPendingRuns === undefined ? {} : { maxPendingRuns: options.maxPendingRuns }),
      writers: {
        runs: (job, runs) => this.#tables.submit(runsTable(job), runs.map((run) => ['upsert', runEntity(run), 'Replace'])),
        jobEntities: (entities) =>
          this.#tables.submit(
            STATE,
            entities.map(({ job, state, circuit }) => [
              'upsert',
              { partitionKey: 'job', rowKey: job, ...(state ? { state: JSON.stringify(state) } : {}), ...(circuit === undefined ? {} : { circuit }) },
              'Merge',
            ]),
          ),
      },
    });
  }

  // ---- circuit and job state: cached, written behind ----

  async loadCircuit(job: string): Promise<string | undefined> {
    return (await this.#entity(job)).circuit;
  }

  async saveCircuit(job: string, state: string): Promise<void> {
    this.#remember(job, { circuit: state });
  }

  async loadState(job: string): Promise<JobState | undefined> {
    return (await this.#entity(job)).state;
  }

  async saveState(job: string, state: JobState): Promise<void> {
    this.#remember(job, { state });
  }

  async loadStates(): Promise<ReadonlyMap<string, JobState>> {
    const now = Date.now();
    if (now - this.#allEntitiesAt > this.#ttl) {
      for (const entity of await this.#tables.query(STATE, odata`PartitionKey eq 'job'`)) {
        this.#entities.set(entity.rowKey, { value: jobEntity(entity), at: now });
      }
      this.#allEntitiesAt = now;
    }
    const states = new Map<string, JobState>();
    for (const [job, { value }] of this.#entities) {
      const state = this.#writer.pendingEntityOf(job)?.state ?? value.state;
      if (state) states.set(job, state);
    }
    return states;
  }

  async forgetJob(job: string): Promise<void> {
    this.#writer.discardEntity(job);
    this.#entities.delete(job);
    await this.#tables.orUndefined(() => this.#tables.table(STATE).deleteEntity('job', job));
  }

  /** A job's state entity: pending changes first, then the cache, then storage. */
  async #entity(job: string): Promise<JobEntity> {
    const cached = this.#entities.get(job);
    let value = cached && Date.now() - cached.at <= this.#ttl ? cached.value : undefined;
    if (!value) {
      const entity = (await this.#tables.orUndefined(() => this.#tables.table(STATE).getEntity<Record<string, unknown>>('job', job))) as Entity | undefined;
      value = entity ? jobEntity(entity) : {};
      this.#entities.set(job, { value, at: Date.now() });
    }
    return { ...value, ...this.#writer.pendingEntityOf(job) };
  }

  #remember(job: string, change: JobEntity): void {
    const cached = this.#entities.get(job);
    this.#entities.set(job, { value: { ...cached?.value, ...change }, at: cached?.at ?? 0 });
    this.#writer.setEntity(job, change);
  }

  // ---- dispatcher: written through ----

  async loadCursors(): Promise<Cursors> {
    const entity = await this.#tables.orUndefined(() => this.#tables.table(STATE).getEntity<Record<string, unknown>>('dispatcher', 'cursors'));
    return entity ? unpack<Cursors>(entity) : {};
  }

  async saveCursors(cursors: Cursors): Promise<void> {
    await this.#tables.call(() => this.#tables.table(STATE).upsertEntity({ partitionKey: 'dispatcher', rowKey: 'cursors', ...pack(cursors) }, 'Replace'));
  }

  async loadLastTick(): Promise<number | undefined> {
    const entity = await this.#tables.orUndefined(() => this.#tables.table(STATE).getEntity<Record<string, unknown>>('dispatcher', 'lastTick'));
    return entity ? Number(entity.at) : undefined;
  }

  async saveLastTick(at: number): Promise<void> {
    await this.#tables.call(() => this.#tables.table(STATE).upsertEntity({ partitionKey: 'dispatcher', rowKey: 'lastTick', at: String(at) }, 'Replace'));
  }

  // ---- runs: written behind ----

  recordRun(run: Run): Promise<void> {
    return this.#writer.addRun(run);
  }

  async listRuns(job: string, page: PageRequest): Promise<Run[]> {
    const filter =
      page.after === undefined
        ? odata`PartitionKey eq ${job} and RowKey ge '0'`
        : odata`PartitionKey eq ${job} and RowKey gt ${page.after}`;
    const stored = (await this.#tables.query(runsTable(job), filter, page.limit)).map((e) => unpack<Run>(e));
    // Runs not written yet are merged in: a run is listed as soon as it is recorded.
    const after = page.after ?? '';
    const pending = this.#writer.pendingRunsOf(job).filter((run) => runKey(run) > after);
    if (pending.length === 0) return stored;
    const merged = new Map([...stored, ...pending].map((run) => [runKey(run), run]));
    return [...merged.keys()].sort().slice(0, page.limit).map((key) => merged.get(key) as Run);
  }

  async deleteRunsBefore(before: number, max: number): Promise<number> {
    let deleted = 0;
    for (const table of RUNS) {
      if (deleted >= max) break;
      const old = await this.#tables.query(table, odata`scheduledAt lt ${new Date(before)}`, max - deleted, ['PartitionKey', 'RowKey']);
      const byJob = new Map<string, Entity[]>();
      for (const entity of old) byJob.set(entity.partitionKey, [...(byJob.get(entity.partitionKey) ?? []), entity]);
      const batches = [...byJob.values()].flatMap((entities) => chunks(entities));
      const results = await inParallel(
        batches.map((batch) => () => this.#tables.submit(table, batch.map((e) => ['delete', { partitionKey: e.partitionKey, rowKey: e.rowKey }]))),
        4,
      );
      for (const [i, result] of results.entries()) {
        if (result.status === 'rejected') throw result.reason;
        deleted += (batches[i] as Entity[]).length;
      }
    }
    return deleted;
  }

  // ---- audit: written through ----

  async recordAudit(entry: AuditEntry): Promise<void> {
    await this.#tables.call(() => this.#tables.table(AUDIT).createEntity({ partitionKey: 'audit', rowKey: auditKey(entry), ...pack(entry) }));
  }

  async listAudit(page: PageRequest): Promise<AuditEntry[]> {
    const filter = page.after === undefined ? odata`PartitionKey eq 'audit'` : odata`PartitionKey eq 'audit' and RowKey gt ${page.after}`;
    return (await this.#tables.query(AUDIT, filter, page.limit)).map((e) => unpack<AuditEntry>(e));
  }

  // ---- API-defined jobs ----

  listJobs(): Promise<StoredJob[]> {
    return this.#jobs.listJobs();
  }

  getJob(name: string): Promise<StoredJob | undefined> {
    return this.#jobs.getJob(name);
  }

  createJob(job: StoredJob): Promise<StoredJob> {
    return this.#jobs.createJob(job);
  }

  replaceJob(job: StoredJob, expectedEtag: string): Promise<StoredJob> {
    return this.#jobs.replaceJob(job, expectedEtag);
  }

  deleteJob(name: string, expectedEtag: string): Promise<void> {
    return this.#jobs.deleteJob(name, expectedEtag);
  }

  // ---- lifecycle and health ----

  async flush(): Promise<void> {
    await this.#writer.flush();
  }

  async close(): Promise<void> {
    await this.#writer.flush();
    this.#writer.stop();
    if (this.#writer.pending > 0) {
      this.#logger.error({ pending: this.#writer.pending }, 'Table Storage is unavailable: writes still pending at shutdown are lost (the runs are in the logs)');
    }
  }

  async health(): Promise<ComponentHealth> {
    const facts = { account: this.#tables.account(), pendingWrites: this.#writer.pending, lostRuns: this.#writer.lost };
    try {
      await this.#tables.orUndefined(() => this.#tables.table(STATE).getEntity('dispatcher', 'lastTick'));
    } catch (error) {
      return { status: 'down', detail: `Table Storage is unreachable: ${(error as Error).message.split('\n')[0]}`, ...facts };
    }
    const failure = this.#writer.failure;
    if (failure) return { status: 'degraded', detail: `writes have been failing since ${new Date(failure.since).toISOString()}; retrying`, ...facts };
    if (this.#writer.lost > 0) return { status: 'degraded', detail: `${this.#writer.lost} runs could not be stored in the history (they are in the logs)`, ...facts };
    return { status: 'ok', detail: `Table Storage (${facts.account})`, ...facts };
  }
}

const runsTable = (job: string) => RUNS[shardOf(job, RUN_TABLES)] as string;

const runEntity = (run: Run) => ({ partitionKey: run.job, rowKey: runKey(run), scheduledAt: new Date(run.scheduledAt), ...pack(run) });

const jobEntity = (entity: Entity): JobEntity => ({
  ...(typeof entity.state === 'string' ? { state: JSON.parse(entity.state) as JobState } : {}),
  ...(typeof entity.circuit === 'string' ? { circuit: entity.circuit } : {}),
});
