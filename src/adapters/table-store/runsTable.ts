import type { RunStore } from '../../app/ports/index.js';
import type { PageRequest } from '../../domain/history.js';
import type { Run } from '../../domain/run.js';
import { chunks, inParallel, packText, shardOf, unpack } from './entities.js';
import { PageCollector, byMinute, minuteEnd, minuteOfKey } from './series.js';
import { odata, type Entity, type Tables } from './tables.js';
import type { SerializedRun, WriteBehind } from './writeBehind.js';

/**
 * Runs are spread over this many tables by a hash of the job name. Azure does not need it (a job's
 * history is one partition wherever it is), but Azurite scans a whole table for every query, so local
 * history queries stay fast with large histories. Changing it would hide existing history: it is fixed.
 */
const RUN_TABLES = 64;
/** The runs tables, without the prefix. */
export const RUNS_TABLES: readonly string[] = Array.from({ length: RUN_TABLES }, (_, i) => `Runs${i}`);

/**
 * Run history in `<prefix>Runs0…63`: partition = job name, one entity per minute of runs written
 * together (series.ts), newest first. Runs are written behind (WriteBehind): `recordRun` never
 * waits for storage, and runs not stored yet are listed too.
 */
export class RunsTable implements RunStore {
  constructor(
    private readonly tables: Tables,
    private readonly writer: WriteBehind,
  ) {}

  recordRun(run: Run): Promise<void> {
    return this.writer.addRun(run);
  }

  async listRuns(job: string, page: PageRequest): Promise<Run[]> {
    const collector = new PageCollector(page.limit, page.after ?? '');
    // A page after a key starts at that key's minute: earlier entities hold only newer runs.
    const from = page.after === undefined ? '0' : minuteOfKey(page.after);
    // An entity usually holds one run (runs of a job are minutes or seconds apart): a page of about
    // `limit` entities, plus a few to finish the last minute, is normally one request.
    await this.tables.scan(runsTable(job), odata`PartitionKey eq ${job} and RowKey ge ${from}`, page.limit + 10, (entity) =>
      collector.add(entity.rowKey.split('-')[0] as string, unpack<Run[]>(entity)),
    );
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

const runsTable = (job: string) => RUNS_TABLES[shardOf(job, RUN_TABLES)] as string;

/**
 * Writes runs of one job as series entities, one per minute (several when a batch spans minutes).
 * The row key ends with the batch name: the same batch written again replaces its entities.
 */
export async function writeSeries(tables: Tables, job: string, runs: readonly SerializedRun[], batch: string): Promise<void> {
  const entities = [...byMinute(runs)].map(([minute, inMinute]) => ({
    partitionKey: job,
    rowKey: `${minute}-${batch}`,
    minuteEnd: minuteEnd(minute),
    count: inMinute.length,
    ...packText(`[${inMinute.map((run) => run.json).join(',')}]`),
  }));
  const table = runsTable(job);
  if (entities.length === 1) await tables.call(() => tables.table(table).upsertEntity(entities[0] as (typeof entities)[number], 'Replace'));
  else await tables.submit(table, entities.map((entity) => ['upsert', entity, 'Replace']));
}
