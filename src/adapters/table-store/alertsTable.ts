import type { TransactionAction } from '@azure/data-tables';
import type { AlertRecord, AlertStateStore, DeliveryFailure, NewDelivery, OutboxEntry, OutboxStore } from '../../app/ports/alerts.js';
import type { AlertEvent } from '../../domain/alerting/event.js';
import type { AlertState } from '../../domain/alerting/rule.js';
import { statusOf } from './entities.js';
import { odata, type Entity, type Tables } from './tables.js';

/** The alerts table, without the prefix. */
export const ALERTS_TABLE = 'Alerts';

/** Job names may hold characters keys may not (`/`, `#`, `?`, `\`): partitions are URI-encoded. */
const partitionOf = (job: string) => encodeURIComponent(job);
const stateRow = (rule: number) => `rule-${String(rule).padStart(3, '0')}`;
const outboxRow = (id: string) => `out-${encodeURIComponent(id)}`;
/** Epoch ms as an Edm.Double, so filters compare numbers (an integer over 2^31 has no other type). */
const double = (value: number) => ({ value: String(value), type: 'Double' as const });
/** Lost races: the entity changed since read (412), or a row to create exists already (409). */
const isLostRace = (error: unknown) => statusOf(error) === 412 || statusOf(error) === 409;

/**
 * Alert state and the outbox in `<prefix>Alerts`: partition = the job (URI-encoded), row
 * `rule-<n>` for each rule's state and `out-<event id>|<channel>` for each delivery, so a state
 * and the deliveries it queues are one entity-group transaction, conditional on the state's ETag.
 * Written through (no write-behind): these writes are off the check path and must be decided.
 * The outbox is read by a query over the table (rows are few: they are deleted once delivered).
 */
export class AlertsTable implements AlertStateStore, OutboxStore {
  constructor(private readonly tables: Tables) {}

  async loadAlert(job: string, rule: number): Promise<AlertRecord | undefined> {
    const entity = await this.tables.orUndefined(() => this.tables.table(ALERTS_TABLE).getEntity<Record<string, unknown>>(partitionOf(job), stateRow(rule)));
    return entity && toRecord(entity as Entity);
  }

  async commitAlert(next: Omit<AlertRecord, 'version'>, expected: string | null, deliveries: readonly NewDelivery[]): Promise<boolean> {
    const partitionKey = partitionOf(next.job);
    const state = {
      partitionKey,
      rowKey: stateRow(next.rule),
      kind: 'alert',
      job: next.job,
      rule: next.rule,
      state: JSON.stringify(next.state),
      triggered: next.state.triggered,
      channels: JSON.stringify(next.channels),
      location: next.location,
      locations: JSON.stringify(next.locations),
    };
    const actions: TransactionAction[] = [expected === null ? ['create', state] : ['update', state, 'Replace', { etag: expected }]];
    for (const d of deliveries) {
      actions.push([
        'create',
        { partitionKey, rowKey: outboxRow(d.id), kind: 'delivery', id: d.id, job: d.job, channel: d.channel, event: JSON.stringify(d.event), dueAt: double(d.dueAt), attempts: 0, status: 'pending', leaseUntil: double(0) },
      ]);
    }
    try {
      await this.tables.submit(ALERTS_TABLE, actions);
      return true;
    } catch (error) {
      if (isLostRace(error)) return false;
      throw error;
    }
  }

  async listAlerts(): Promise<AlertRecord[]> {
    return (await this.tables.query(ALERTS_TABLE, odata`kind eq ${'alert'}`)).map(toRecord);
  }

  async dueDeliveries(now: number, max: number): Promise<OutboxEntry[]> {
    const filter = odata`kind eq ${'delivery'} and status eq ${'pending'} and dueAt le ${now}.0 and leaseUntil le ${now}.0`;
    return (await this.tables.query(ALERTS_TABLE, filter, max)).map(toEntry);
  }

  async claimDelivery(entry: OutboxEntry, until: number): Promise<OutboxEntry | undefined> {
    try {
      const { etag } = await this.tables.call(() =>
        this.tables.table(ALERTS_TABLE).updateEntity({ partitionKey: partitionOf(entry.job), rowKey: outboxRow(entry.id), leaseUntil: double(until) }, 'Merge', { etag: entry.version }),
      );
      return { ...entry, leaseUntil: until, version: etag ?? entry.version };
    } catch (error) {
      if (isLostRace(error) || statusOf(error) === 404) return undefined;
      throw error;
    }
  }

  async completeDelivery(entry: OutboxEntry): Promise<void> {
    await this.tables.orUndefined(() => this.tables.table(ALERTS_TABLE).deleteEntity(partitionOf(entry.job), outboxRow(entry.id)));
  }

  async failDelivery(entry: OutboxEntry, failure: DeliveryFailure): Promise<void> {
    const { attempts, dueAt, lastError, dead } = failure;
    const changes = { partitionKey: partitionOf(entry.job), rowKey: outboxRow(entry.id), attempts, dueAt: double(dueAt), lastError: lastError.slice(0, 1_000), status: dead ? 'dead' : 'pending', leaseUntil: double(0) };
    try {
      await this.tables.call(() => this.tables.table(ALERTS_TABLE).updateEntity(changes, 'Merge', { etag: entry.version }));
    } catch (error) {
      // Another instance took it over after our lease ran out: its outcome stands.
      if (!isLostRace(error) && statusOf(error) !== 404) throw error;
    }
  }

  async countDeadDeliveries(): Promise<number> {
    return (await this.tables.query(ALERTS_TABLE, odata`kind eq ${'delivery'} and status eq ${'dead'}`, undefined, ['PartitionKey'])).length;
  }
}

const toRecord = (entity: Entity): AlertRecord => ({
  job: String(entity.job),
  rule: Number(entity.rule),
  state: JSON.parse(String(entity.state)) as AlertState,
  channels: JSON.parse(String(entity.channels ?? '[]')) as string[],
  location: String(entity.location ?? ''),
  locations: JSON.parse(String(entity.locations ?? '{}')) as AlertRecord['locations'],
  version: entity.etag,
});

const toEntry = (entity: Entity): OutboxEntry => ({
  id: String(entity.id),
  job: String(entity.job),
  channel: String(entity.channel),
  event: JSON.parse(String(entity.event)) as AlertEvent,
  dueAt: Number(entity.dueAt),
  attempts: Number(entity.attempts),
  status: entity.status === 'dead' ? 'dead' : 'pending',
  leaseUntil: Number(entity.leaseUntil ?? 0),
  ...(typeof entity.lastError === 'string' ? { lastError: entity.lastError } : {}),
  version: entity.etag,
});
