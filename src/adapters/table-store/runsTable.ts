import type { RunStore } from '../../app/ports/index.js';
import type { PageRequest } from '../../domain/history.js';
import type { Run } from '../../domain/run.js';
import { chunks, inParallel, packText, shardOf, unpack } from './entities.js';
import { PageCollector, byMinute, minuteEnd, minuteOfKey } from './series.js';
import { odata, type Entity, type Tables } from './tables.js';
import type { SerializedRun, WriteBehind } from './writeBehind.js';

/**
 * Runs are spread over this many tables by a hash of the job name, one partition each: the runs of
 * all the jobs of a table are written in one transaction (up to 100 entities), so a write costs a
 * request per table touched, not per job. 64 partitions take far more than 10 000 jobs every 10 s
 * in Azure; Azurite scans a whole table for every query, so local history queries stay fast with
 * large histories. Changing it would hide existing history: it is fixed.
 */
const RUN_TABLES = 64;
/** The runs tables, without the prefix. */
export const RUNS_TABLES: readonly string[] = Array.from({ length: RUN_TABLES }, (_, i) => `Runs${i}`);
/** The one partition of each runs table. */
const PARTITION = 'runs';
/**
 * Ends a job name in a row key: it sorts after every character of a job name (letters, digits, `-`,
 * `_`), so one job's rows are exactly the keys from `job|` to `job}`.
 */
const SEP = '|';

/**
 * Run history in `<prefix>Runs0…63` (the table a hash of the job name picks), partition `runs`,
 * row key `<job>|<minute>-<batch>`: one entity per job and minute of runs written together
 * (series.ts), newest first. Runs are written behind (WriteBehind): `recordRun` never waits for
 * storage, and runs not stored yet are listed too.
 *
 * Before issue 12 the partition was the job's name: that history is not listed (retention deletes it).
 */
export class RunsTable implements RunStore {
  constructor(
    private readonly tables: Tables,
    private readonly writer: WriteBehind,
  ) {}

  recordRun(run: Run): Promise<void> {
    return this.writer.addRun(run);
  }

  whenStored(run: Run): Promise<void> {
    return this.writer.whenStored(run);
  }

  async listRuns(job: string, page: PageRequest): Promise<Run[]> {
    const collector = new PageCollector(page.limit, page.after ?? '');
    // A page after a key starts at that key's minute: earlier entities hold only newer runs.
    const from = `${job}${SEP}${page.after === undefined ? '0' : minuteOfKey(page.after)}`;
    // An entity usually holds one run (runs of a job are minutes or seconds apart): a page of about
    // `limit` entities, plus a few to finish the last minute, is normally one request.
    const filter = odata`PartitionKey eq ${PARTITION} and RowKey ge ${from} and RowKey lt ${`${job}}`}`;
    await this.tables.scan(runsTable(job), filter, page.limit + 10, (entity) => collector.add(minuteOfRow(entity.rowKey), unpack<Run[]>(entity)));
    // Runs not written yet are merged in: a run is listed as soon as it is recorded.
    collector.include(this.writer.pendingRunsOf(job).map((p) => JSON.parse(p.json) as Run));
    return collector.page();
  }

  /**
   * Deletes whole series entities whose minute ended before `before`: a run can outlive the cutoff
   * by less than a minute. Stops once about `max` runs are deleted (it may pass it by one entity's runs).
   */
  async deleteRunsBefore(before: number, max: number): Promise<number> {
    let deleted = 0;
    for (const table of RUNS_TABLES) {
      if (deleted >= max) break;
      const old: Entity[] = [];
      let runs = 0;
      for (const entity of await this.tables.query(table, odata`minuteEnd lt ${new Date(before)}`, max - deleted, ['PartitionKey', 'RowKey', 'count'])) {
        if (runs >= max - deleted) break;
        old.push(entity);
        runs += Number(entity.count ?? 1);
      }
      const byPartition = new Map<string, Entity[]>();
      for (const entity of old) {
        const entities = byPartition.get(entity.partitionKey);
        if (entities) entities.push(entity);
        else byPartition.set(entity.partitionKey, [entity]);
      }
      const batches = [...byPartition.values()].flatMap((entities) => chunks(entities));
      const results = await inParallel(
        batches.map((batch) => () => this.tables.submit(table, batch.map((e) => ['delete', { partitionKey: e.partitionKey, rowKey: e.rowKey }]))),
        4,
      );
      for (const [i, result] of results.entries()) {
        if (result.status === 'rejected') throw result.reason;
        deleted += (batches[i] as Entity[]).reduce((sum, e) => sum + Number(e.count ?? 1), 0);
      }
    }
    return deleted;
  }
}

/** `runs`' partition (see WriteBehind): the runs table of a job. */
export const runsTable = (job: string): string => RUNS_TABLES[shardOf(job, RUN_TABLES)] as string;

/** The minute prefix of a row key `<job>|<minute>-<batch>`. */
const minuteOfRow = (rowKey: string): string => rowKey.slice(rowKey.indexOf(SEP) + 1).split('-')[0] as string;

/**
 * Writes up to 100 runs of the jobs of one runs table as series entities, one per job and minute,
 * in one transaction. The row key ends with the batch name: the same batch written again replaces
 * its entities.
 */
export async function writeSeries(tables: Tables, table: string, runs: readonly SerializedRun[], batch: string): Promise<void> {
  const byJob = new Map<string, SerializedRun[]>();
  for (const run of runs) {
    const list = byJob.get(run.job);
    if (list) list.push(run);
    else byJob.set(run.job, [run]);
  }
  const entities = [...byJob].flatMap(([job, ofJob]) =>
    [...byMinute(ofJob)].map(([minute, inMinute]) => ({
      partitionKey: PARTITION,
      rowKey: `${job}${SEP}${minute}-${batch}`,
      minuteEnd: minuteEnd(minute),
      count: inMinute.length,
      ...packText(`[${inMinute.map((run) => run.json).join(',')}]`),
    })),
  );
  if (entities.length === 1) await tables.call(() => tables.table(table).upsertEntity(entities[0] as (typeof entities)[number], 'Replace'));
  else await tables.submit(table, entities.map((entity) => ['upsert', entity, 'Replace']));
}
