import type { AuditStore } from '../../app/ports/index.js';
import { auditKey, type AuditEntry } from '../../domain/audit.js';
import type { PageRequest } from '../../domain/history.js';
import { pack, unpack } from './entities.js';
import { odata, type Tables } from './tables.js';

/** The audit log in `<prefix>Audit`: partition `audit`, row key = `auditKey` (newest first), written through. */
export class AuditTable implements AuditStore {
  constructor(
    private readonly tables: Tables,
    private readonly table: string,
  ) {}

  async recordAudit(entry: AuditEntry): Promise<void> {
    await this.tables.call(() => this.tables.table(this.table).createEntity({ partitionKey: 'audit', rowKey: auditKey(entry), ...pack(entry) }));
  }

  async listAudit(page: PageRequest): Promise<AuditEntry[]> {
    const filter = page.after === undefined ? odata`PartitionKey eq 'audit'` : odata`PartitionKey eq 'audit' and RowKey gt ${page.after}`;
    return (await this.tables.query(this.table, filter, page.limit)).map((e) => unpack<AuditEntry>(e));
  }
}
