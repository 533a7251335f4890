import type { ClaimHolder, OccurrenceClaims } from '../../app/ports/index.js';
import { shardOf, statusOf } from './entities.js';
import type { Tables } from './tables.js';

/** Partitions per day: inserts spread over them (a partition takes about 2 000 writes a second). */
const SHARDS = 16;

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
}

/** The keys of a run id `job@2026-01-02T03:04:05.000Z`. */
function keyOf(runId: string): { partitionKey: string; rowKey: string } {
  const at = runId.lastIndexOf('@');
  const day = runId.slice(at + 1, at + 11).replaceAll('-', '');
  return { partitionKey: `${day}-${shardOf(runId.slice(0, at), SHARDS)}`, rowKey: runId };
}
