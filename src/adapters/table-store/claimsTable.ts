import type { ClaimHolder, OccurrenceClaims } from '../../app/ports/index.js';
import { chunks, inParallel, shardOf, statusOf } from './entities.js';
import { GroupedInserts } from './groupedInserts.js';
import { odata, type Tables } from './tables.js';

/** Partitions per day: the instants of a day spread over them (retention deletes per partition). */
const SHARDS = 16;
/**
 * Partitions the claims of one instant spread over. Claims are inserted in entity-group
 * transactions, one per partition among the claims made together (GroupedInserts), so what matters
 * is how few partitions one received batch of messages touches, and how many writes one partition
 * takes. One receive takes up to 32 messages, nearly all of one instant (they become visible
 * together, 2 s before it): with the shard drawn from the job name alone (16 a day) they touched
 * about 14 partitions, 14 transactions for 32 claims; drawn from the instant alone, one. A partition
 * takes about 2 000 entity writes a second, and the claims of one instant are written in the 2 s
 * before it: one partition per instant would throttle past about 4 000 occurrences of one instant.
 * 4 per instant (the job name picks one of them) carry about 16 000 (near the account's own target
 * of 20 000 requests a second, which the puts and deletes reach first) for about 4 transactions per
 * 32 claims (0.12 a claim). Other instants land on other shards, so a day still uses all 16.
 */
const SPREAD = 4;
/** Delete transactions (100 claims each, one partition) in flight at once during retention. */
const DELETE_CONCURRENCY = 8;

/**
 * Occurrence claims of queue mode in `<prefix>Claims`: partition `<yyyymmdd>-<shard>` (the day of
 * the instant, so whole days can be dropped; the shard from the instant and the job, see `SPREAD`),
 * row key the run id (`job@instant`), with the queue message that holds it. A claim is an insert
 * (409 when it exists), made together with the claims asked for at the same moment in one
 * transaction per partition (GroupedInserts; one by one when one of them exists), and a takeover a
 * replace on the ETag read (412 when another changed it): the service decides, never a
 * read-then-write.
 */
export class ClaimsTable implements OccurrenceClaims {
  readonly #inserts: GroupedInserts;

  constructor(
    private readonly tables: Tables,
    private readonly table: string,
  ) {
    this.#inserts = new GroupedInserts(tables, table);
  }

  async claim(runId: string, holder: ClaimHolder): ReturnType<OccurrenceClaims['claim']> {
    const key = keyOf(runId);
    if (await this.#inserts.insert({ ...key, ...holder })) return { claimed: true };
    const entity = await this.tables.call(() => this.tables.table(this.table).getEntity<{ messageId: string; at: number }>(key.partitionKey, key.rowKey));
    return { claimed: false, holder: { messageId: String(entity.messageId), at: Number(entity.at) }, etag: entity.etag };
  }

  async takeOver(runId: string, holder: ClaimHolder, etag: string): Promise<boolean> {
    try {
      await this.tables.call(() => this.tables.table(this.table).updateEntity({ ...keyOf(runId), ...holder }, 'Replace', { etag }));
      return true;
    } catch (error) {
      if (statusOf(error) === 412 || statusOf(error) === 404) return false;
      throw error;
    }
  }

  /**
   * Deletes the claims of whole days before the day of `before`: one range query on the partition
   * key (`<yyyymmdd>-…` sorts as the days do), then one transaction per 100 claims of a partition.
   * Never creates the table (inline mode has none): a missing table has nothing to delete.
   */
  async deleteBefore(before: number, max: number): Promise<number> {
    const day = new Date(before).toISOString().slice(0, 10).replaceAll('-', '');
    const client = this.tables.table(this.table);
    const byPartition = new Map<string, string[]>();
    let found = 0;
    try {
      const pages = client.listEntities({ queryOptions: { filter: odata`PartitionKey lt ${day}`, select: ['PartitionKey', 'RowKey'] } }).byPage({ maxPageSize: Math.min(1_000, max) });
      for await (const page of pages) {
        for (const { partitionKey, rowKey } of page) {
          const rows = byPartition.get(partitionKey as string);
          if (rows) rows.push(rowKey as string);
          else byPartition.set(partitionKey as string, [rowKey as string]);
          found++;
        }
        if (found >= max) break;
      }
    } catch (error) {
      if (statusOf(error) === 404) return 0;
      throw error;
    }
    const batches = [...byPartition].flatMap(([partitionKey, rows]) => chunks(rows).map((batch) => ({ partitionKey, rows: batch })));
    const results = await inParallel(
      batches.map(({ partitionKey, rows }) => () => client.submitTransaction(rows.map((rowKey) => ['delete', { partitionKey, rowKey }]))),
      DELETE_CONCURRENCY,
    );
    let deleted = 0;
    for (const [i, result] of results.entries()) {
      if (result.status === 'fulfilled') deleted += (batches[i] as { rows: string[] }).rows.length;
      // A claim already gone fails its whole transaction: the next pass deletes the others.
      else if (statusOf(result.reason) !== 404) throw result.reason;
    }
    return deleted;
  }
}

/**
 * The keys of a claim id `job@2026-01-02T03:04:05.000Z|location`: the day, and a shard of the
 * instant (with the location) moved by the job's place among `SPREAD`.
 */
function keyOf(runId: string): { partitionKey: string; rowKey: string } {
  const at = runId.lastIndexOf('@');
  const day = runId.slice(at + 1, at + 11).replaceAll('-', '');
  const shard = (shardOf(runId.slice(at + 1), SHARDS) + shardOf(runId.slice(0, at), SPREAD)) % SHARDS;
  return { partitionKey: `${day}-${shard}`, rowKey: runId };
}
