import type { ComponentHealth, Logger, StateStore, StoredJob } from '../../app/ports/index.js';
import { auditKey, type AuditEntry } from '../../domain/audit.js';
import type { PageRequest } from '../../domain/history.js';
import type { Cursors } from '../../domain/plan.js';
import type { Run } from '../../domain/run.js';
import type { JobState } from '../../domain/state.js';
import { randomBytes } from 'node:crypto';
import { chunks, inParallel, pack, packText, shardOf, unpack } from './entities.js';
import { PageCollector, byMinute, minuteEnd, minuteOfKey } from './series.js';
import { JobsTable } from './jobsTable.js';
import { Tables, odata, type Entity, type TableConnection } from './tables.js';
import { WriteBehind, type JobEntity, type SerializedRun } from './writeBehind.js';

export type { TableConnection } from './tables.js';

export interface TableStoreOptions {
  readonly connection: TableConnection;
  readonly logger: Logger;
  /** Prefix of every table name (letters and digits). Default `Pulsecheck`. */
  readonly tablePrefix?: string;
  /** Runs waiting to be written before recording waits (see WriteBehind). Default 10 000. */
  readonly maxPendingRuns?: number;
  /** Retries of each request by the SDK (exponential backoff). Default the SDK's, 3. */
  readonly maxRetries?: number;
}

/**
 * Runs are spread over this many tables by a hash of the job name. Azure does not need it (a job's
 * history is one partition wherever it is), but Azurite scans a whole table for every query, so local
 * history queries stay fast with large histories. Changing it would hide existing history: it is fixed.
 */
const RUN_TABLES = 64;
const RUNS = Array.from({ length: RUN_TABLES }, (_, i) => `Runs${i}`);
const STATE = 'State';
/**
 * How long job states and the list of API jobs read from storage are reused, in ms: another
 * instance's changes show after at most this.
 */
const CACHE_TTL_MS = 5_000;
const AUDIT = 'Audit';

/**
 * Azure Table Storage (or Azurite):
 * - `<prefix>Jobs`: API-defined jobs (JobsTable);
 * - `<prefix>State`: partition `job` (each job's state and circuit, row key = name) and `dispatcher`;
 * - `<prefix>Runs0…63`: run history, partition = job name, one entity per minute of runs written
 *   together (series.ts), newest first;
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
  /** Job state entities as last read or written here; `at`: when (epoch ms). Mutated in place: this is the check path. */
  readonly #entities = new Map<string, { state?: JobState; circuit?: string; at: number }>();
  #allEntitiesAt = 0;
  #refreshingStates: Promise<void> | undefined;

  constructor(options: TableStoreOptions) {
    this.#tables = new Tables(options.connection, options.tablePrefix ?? 'Pulsecheck', ['Jobs', STATE, AUDIT, ...RUNS], options.maxRetries);
    this.#logger = options.logger;
    this.#jobs = new JobsTable(this.#tables, CACHE_TTL_MS);
    this.#writer = new WriteBehind({
      logger: options.logger,
      ...(options.maxPendingRuns === undefined ? {} : { maxPendingRuns: options.maxPendingRuns }),
      writers: {
        runs: (job, runs) => this.#writeSeries(job, runs),
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
    const pending = this.#writer.pendingEntityOf(job);
    return pending?.circuit !== undefined ? pending.circuit : (await this.#entity(job)).circuit;
  }

  async saveCircuit(job: string, state: string): Promise<void> {
    this.#remember(job, { circuit: state });
  }

  async loadState(job: string): Promise<JobState | undefined> {
    return this.#writer.pendingEntityOf(job)?.state ?? (await this.#entity(job)).state;
  }

  async saveState(job: string, state: JobState): Promise<void> {
    this.#remember(job, { state });
  }

  async loadStates(): Promise<ReadonlyMap<string, JobState>> {
    // Stale while revalidating, one read at a time: only the very first call waits for storage.
    if (this.#allEntitiesAt === 0) await this.#refreshStates();
    else if (Date.now() - this.#allEntitiesAt > CACHE_TTL_MS) void this.#refreshStates().catch(() => undefined);
    const states = new Map<string, JobState>();
    for (const [job, { state }] of this.#entities) if (state) states.set(job, state);
    for (const job of this.#writer.pendingEntityJobs()) {
      const state = this.#writer.pendingEntityOf(job)?.state;
      if (state) states.set(job, state);
    }
    return states;
  }

  #refreshStates(): Promise<void> {
    const started = Date.now();
    this.#refreshingStates ??= this.#tables
      .query(STATE, odata`PartitionKey eq 'job'`)
      .then((entities) => {
        for (const entity of entities) {
          // A state this instance set after the read began is newer than what the read returned.
          if ((this.#entities.get(entity.rowKey)?.at ?? 0) < started) this.#entities.set(entity.rowKey, { ...jobEntity(entity), at: started });
        }
        this.#allEntitiesAt = started;
      })
      .finally(() => (this.#refreshingStates = undefined));
    return this.#refreshingStates;
  }

  async forgetJob(job: string): Promise<void> {
    this.#writer.discardEntity(job);
    this.#entities.delete(job);
    await this.#tables.orUndefined(() => this.#tables.table(STATE).deleteEntity('job', job));
  }

  /** A job's state entity as cached (read from storage when missing or older than the TTL); pending changes are not in it. */
  async #entity(job: string): Promise<JobEntity> {
    const cached = this.#entities.get(job);
    if (cached && Date.now() - cached.at <= CACHE_TTL_MS) return cached;
    const entity = (await this.#tables.orUndefined(() => this.#tables.table(STATE).getEntity<Record<string, unknown>>('job', job))) as Entity | undefined;
    const fresh = { ...(entity ? jobEntity(entity) : {}), at: Date.now() };
    this.#entities.set(job, fresh);
    return fresh;
  }

  #remember(job: string, change: JobEntity): void {
    // Only an entity read before is completed here; otherwise the pending change stands in until written.
    const cached = this.#entities.get(job);
    if (cached) {
      if (change.state) cached.state = change.state;
      if (change.circuit !== undefined) cached.circuit = change.circuit;
      cached.at = Date.now();
    }
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

  /** Writes runs of one job as series entities, one per minute (several when a minute is large). */
  async #writeSeries(job: string, runs: readonly SerializedRun[]): Promise<void> {
    const entities = [...byMinute(runs)].map(([minute, inMinute]) => ({
      partitionKey: job,
      rowKey: `${minute}-${randomBytes(6).toString('hex')}`,
      minuteEnd: minuteEnd(minute),
      count: inMinute.length,
      ...packText(`[${inMinute.map((run) => run.json).join(',')}]`),
    }));
    const table = runsTable(job);
    if (entities.length === 1) await this.#tables.call(() => this.#tables.table(table).upsertEntity(entities[0] as (typeof entities)[number], 'Replace'));
    else await this.#tables.submit(table, entities.map((entity) => ['upsert', entity, 'Replace']));
  }

  async listRuns(job: string, page: PageRequest): Promise<Run[]> {
    const collector = new PageCollector(page.limit, page.after ?? '');
    // A page after a key starts at that key's minute: earlier entities hold only newer runs.
    const from = page.after === undefined ? '0' : minuteOfKey(page.after);
    // An entity usually holds one run (runs of a job are minutes or seconds apart): a page of about
    // `limit` entities, plus a few to finish the last minute, is normally one request.
    await this.#tables.scan(runsTable(job), odata`PartitionKey eq ${job} and RowKey ge ${from}`, page.limit + 10, (entity) =>
      collector.add(entity.rowKey.split('-')[0] as string, unpack<Run[]>(entity)),
    );
    // Runs not written yet are merged in: a run is listed as soon as it is recorded.
    collector.include(this.#writer.pendingRunsOf(job));
    return collector.page();
  }

  /**
   * Deletes whole series entities whose minute ended before `before`: a run can outlive the cutoff
   * by less than a minute. Stops once about `max` runs are deleted (it may pass it by one entity's runs).
   */
  async deleteRunsBefore(before: number, max: number): Promise<number> {
    let deleted = 0;
    for (const table of RUNS) {
      if (deleted >= max) break;
      const old: Entity[] = [];
      let runs = 0;
      for (const entity of await this.#tables.query(table, odata`minuteEnd lt ${new Date(before)}`, max - deleted, ['PartitionKey', 'RowKey', 'count'])) {
        if (runs >= max - deleted) break;
        old.push(entity);
        runs += Number(entity.count ?? 1);
      }
      const byJob = new Map<string, Entity[]>();
      for (const entity of old) {
        const entities = byJob.get(entity.partitionKey);
        if (entities) entities.push(entity);
        else byJob.set(entity.partitionKey, [entity]);
      }
      const batches = [...byJob.values()].flatMap((entities) => chunks(entities));
      const results = await inParallel(
        batches.map((batch) => () => this.#tables.submit(table, batch.map((e) => ['delete', { partitionKey: e.partitionKey, rowKey: e.rowKey }]))),
        4,
      );
      for (const [i, result] of results.entries()) {
        if (result.status === 'rejected') throw result.reason;
        deleted += (batches[i] as Entity[]).reduce((sum, e) => sum + Number(e.count ?? 1), 0);
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

const jobEntity = (entity: Entity): JobEntity => ({
  ...(typeof entity.state === 'string' ? { state: JSON.parse(entity.state) as JobState } : {}),
  ...(typeof entity.circuit === 'string' ? { circuit: entity.circuit } : {}),
});
