import type { ClaimHolder, OccurrenceClaims } from '../../app/ports/index.js';
import { chunks, inParallel, shardOf, statusOf } from './entities.js';
import { odata, type Tables } from './tables.js';

/** Partitions per day: inserts spread over them (a partition takes about 2 000 writes a second). */
const SHARDS = 16;
/** Delete transactions (100 claims each, one partition) in flight at once during retention. */
const DELETE_CONCURRENCY = 8;

/**
 * Occurrence claims of queue mode in `<prefix>Claims`: partition `<yyyymmdd>-<shard>` (the day of
 * the instant, so whole days can be dropped), row key the run id (`job@instant`), with the queue
 * message that holds it. A claim is an insert (409 when it exists) and a takeover a replace on the
 * ETag read (412 when another changed it): the service decides, never a read-then-write.
 */
export class ClaimsTable implements OccurrenceClaims {
  constructor(
    private readonly tables: Tables,
    private readonly table: string,
  ) {}

  async claim(runId: string, holder: ClaimHolder): ReturnType<OccurrenceClaims['claim']> {
    const key = keyOf(runId);
    try {
      await this.tables.call(() => this.tables.table(this.table).createEntity({ ...key, ...holder }));
      return { claimed: true };
    } catch (error) {
      if (statusOf(error) !== 409) throw error;
    }
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

/** The keys of a run id `job@2026-01-02T03:04:05.000Z`. */
function keyOf(runId: string): { partitionKey: string; rowKey: string } {
  const at = runId.lastIndexOf('@');
  const day = runId.slice(at + 1, at + 11).replaceAll('-', '');
  return { partitionKey: `${day}-${shardOf(runId.slice(0, at), SHARDS)}`, rowKey: runId };
}
