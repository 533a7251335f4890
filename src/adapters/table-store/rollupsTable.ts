import { randomBytes } from 'node:crypto';
import type { TransactionAction } from '@azure/data-tables';
import type { Clock, Logger } from '../../app/ports/index.js';
import type { CompactionReport, RollupQuery, RollupStore } from '../../app/ports/rollups.js';
import { parseLatency, latencyText } from '../../domain/latency.js';
import { bucketKey, mergeAll, mergeBuckets, type BucketSpan, type RollupBucket } from '../../domain/rollup.js';
import { chunks, inParallel, isPermanent, shardOf, statusOf } from './entities.js';
import { odata, type Entity, type Tables } from './tables.js';

/** The rollup tables, without the prefix. */
export const ROLLUP_TABLES = { hour: 'RollupHours', day: 'RollupDays' } as const satisfies Record<BucketSpan, string>;
/**
 * Partitions of each rollup table, by a hash of the job name: the partial buckets of many jobs go in
 * one transaction per partition. Fixed: changing it would hide stored rollups.
 */
const PARTITIONS = 16;
/**
 * How long added buckets wait for others before they are written, in ms (a periodic flush leaves
 * them waiting): a job checked every 10 s then adds one partial row per bucket a minute, not one per
 * run. This process's reads merge the buckets still waiting.
 */
const LINGER_MS = 60_000;
/** Partial rows younger than this are left to the next compaction, in ms: a write retried after an unseen success stays a no-op. */
const SETTLE_MS = 2 * 60_000;
/** The row key suffix of a compacted bucket (after every batch id). */
const COMPACT = '~';

const partitionOf = (job: string): string => `p${shardOf(job, PARTITIONS)}`;
/** `<job>|<start>|<location>|<writer>`: a job's rows in start order; `|` sorts after every job-name character. */
const rowPrefix = (b: Pick<RollupBucket, 'job' | 'start' | 'location'>): string => `${b.job}|${b.start}|${encodeURIComponent(b.location)}|`;
const double = (value: number) => ({ value: String(value), type: 'Double' as const });

interface Unit {
  readonly table: string;
  readonly partition: string;
  readonly actions: TransactionAction[];
}

/**
 * Rollups in `<prefix>RollupHours` and `<prefix>RollupDays`, partitions `p0…p15` (a hash of the job),
 * row key `<job>|<start>|<location>|<writer>`. Writers only insert: each batch of added buckets becomes
 * new partial rows with a batch id of their own (a batch sent again after a failure keeps its rows,
 * and finding them already there means it was written). Readers merge every row of a bucket. The
 * retention timer (a singleton) merges settled partials into the bucket's compacted row (`~`) in one
 * transaction with their deletion, the compacted row written only if unchanged since read (ETag), so
 * no count is lost or doubled.
 */
export class RollupsTable implements RollupStore {
  readonly #tables: Tables;
  readonly #clock: Clock;
  readonly #logger: Logger;
  readonly #writer = randomBytes(4).toString('hex');
  #batch = 0;
  #pending = new Map<string, RollupBucket>();
  /** Transactions that failed for a transient reason, sent again as they were. */
  #failed: Unit[] = [];
  #linger: NodeJS.Timeout | undefined;
  #writing: Promise<void> | undefined;
  readonly #lingerMs: number;

  /** `lingerMs`: how long added buckets wait for others (default LINGER_MS). */
  constructor(tables: Tables, clock: Clock, logger: Logger, lingerMs = LINGER_MS) {
    this.#tables = tables;
    this.#clock = clock;
    this.#logger = logger;
    this.#lingerMs = lingerMs;
  }

  /** Partial buckets and transactions not written yet. */
  get pending(): number {
    return this.#pending.size + this.#failed.length;
  }

  async addRollups(deltas: readonly RollupBucket[]): Promise<void> {
    for (const delta of deltas) {
      const key = bucketKey(delta);
      const seen = this.#pending.get(key);
      this.#pending.set(key, seen ? mergeBuckets(seen, delta) : delta);
    }
    if (!this.#writing) this.#schedule(this.#lingerMs);
  }

  /** Flushes after `delay` ms unless a flush is due already (or nothing is pending). */
  #schedule(delay: number): void {
    if (this.#linger || this.pending === 0) return;
    this.#linger = setTimeout(() => void this.flush(), delay);
    this.#linger.unref();
  }

  /** Writes what is pending now; resolves when it is written or failed (failures are kept and retried). */
  async flush(): Promise<void> {
    clearTimeout(this.#linger);
    this.#linger = undefined;
    while (this.#writing) await this.#writing;
    if (this.pending === 0) return;
    this.#writing = this.#write().finally(() => {
      this.#writing = undefined;
      // Buckets added while this write was under way wait for no further add: they go after a linger.
      this.#schedule(this.#lingerMs);
    });
    await this.#writing;
  }

  async #write(): Promise<void> {
    const units = this.#failed.splice(0).concat(this.#units([...this.#pending.values()]));
    this.#pending = new Map();
    const results = await inParallel(units.map((unit) => () => this.#tables.submit(unit.table, unit.actions)), 8);
    results.forEach((result, i) => {
      if (result.status === 'fulfilled') return;
      const unit = units[i] as Unit;
      // The batch's rows are there already: a write that succeeded unseen, sent again.
      if (statusOf(result.reason) === 409) return;
      if (isPermanent(result.reason)) this.#logger.error({ err: result.reason, table: unit.table }, 'rollups could not be stored');
      else this.#failed.push(unit);
    });
    if (this.#failed.length > 0) this.#schedule(this.#lingerMs);
  }

  /** Insert actions for `buckets`, as transactions of one table and partition (100 at most). */
  #units(buckets: readonly RollupBucket[]): Unit[] {
    const batch = `${this.#writer}${(this.#batch++).toString(36)}`;
    const groups = new Map<string, Unit>();
    for (const b of buckets) {
      const table = ROLLUP_TABLES[b.span];
      const partition = partitionOf(b.job);
      const key = `${table}/${partition}`;
      let unit = groups.get(key);
      if (!unit) groups.set(key, (unit = { table, partition, actions: [] }));
      unit.actions.push(['create', toEntity(b, partition, rowPrefix(b) + batch, true)]);
    }
    return [...groups.values()].flatMap((unit) => chunks(unit.actions).map((actions) => ({ ...unit, actions })));
  }

  async listRollups(query: RollupQuery): Promise<RollupBucket[]> {
    const { job, span } = query;
    const from = `${job}|${new Date(query.from).toISOString()}`;
    const to = `${job}|${new Date(query.to).toISOString()}`;
    const filter = odata`PartitionKey eq ${partitionOf(job)} and RowKey ge ${from} and RowKey lt ${to}`;
    const rows = await this.#tables.query(ROLLUP_TABLES[span], filter);
    // Buckets still waiting to be written count already, as in storage.
    const waiting = [...this.#pending.values()].filter((b) => b.job === job && b.span === span && Date.parse(b.start) >= query.from && Date.parse(b.start) < query.to);
    return mergeAll([...rows.map((row) => fromEntity(row, span)), ...waiting]);
  }

  async compactRollups(closedBefore: number, deleteBefore: number, max: number): Promise<CompactionReport> {
    let compacted = 0;
    let deleted = 0;
    const settled = new Date(Math.min(closedBefore, this.#clock.now() - SETTLE_MS));
    for (const span of ['hour', 'day'] as const) {
      const table = ROLLUP_TABLES[span];
      for (let p = 0; p < PARTITIONS && compacted + deleted < max; p++) {
        const partition = `p${p}`;
        const old = await this.#tables.query(table, odata`PartitionKey eq ${partition} and bucketEnd lt ${new Date(deleteBefore)}`, max, ['PartitionKey', 'RowKey']);
        for (const part of chunks(old)) await this.#tables.submit(table, part.map((e) => ['delete', { partitionKey: partition, rowKey: e.rowKey }]));
        deleted += new Set(old.map((e) => e.rowKey.slice(0, e.rowKey.lastIndexOf('|')))).size;
        const partials = await this.#tables.query(table, odata`PartitionKey eq ${partition} and partial eq true and Timestamp lt ${settled}`, max * 10);
        const groups = new Map<string, Entity[]>();
        for (const row of partials) {
          const prefix = row.rowKey.slice(0, row.rowKey.lastIndexOf('|') + 1);
          groups.set(prefix, [...(groups.get(prefix) ?? []), row]);
        }
        for (const [prefix, rows] of groups) {
          if (compacted + deleted >= max) break;
          if (await this.#compactAll(table, span, partition, prefix, rows)) compacted++;
        }
      }
    }
    return { compacted, deleted };
  }

  /**
   * Merges `rows` (partials of one bucket) into its compacted row, 99 at a time. False when another
   * compaction got there first (a compacted row created or changed since read, a partial already
   * deleted): its transaction changed nothing, and the rows left are for the next compaction.
   */
  async #compactAll(table: string, span: BucketSpan, partition: string, prefix: string, rows: readonly Entity[]): Promise<boolean> {
    try {
      for (const part of chunks(rows, 99)) await this.#compact(table, span, partition, prefix, part);
      return true;
    } catch (error) {
      const status = statusOf(error);
      if (status === 404 || status === 409 || status === 412) return false;
      throw error;
    }
  }

  /** Adds `rows` (partials of one bucket) to its compacted row and deletes them, in one transaction. */
  async #compact(table: string, span: BucketSpan, partition: string, prefix: string, rows: readonly Entity[]): Promise<void> {
    const current = await this.#tables.orUndefined(() => this.#tables.table(table).getEntity<Record<string, unknown>>(partition, prefix + COMPACT));
    const merged = rows.map((row) => fromEntity(row, span)).reduce((sum, b) => mergeBuckets(sum, b), current ? fromEntity(current as Entity, span) : fromEntity(rows[0] as Entity, span, true));
    const entity = toEntity(merged, partition, prefix + COMPACT, false);
    const write: TransactionAction = current ? ['update', entity, 'Replace', { etag: current.etag }] : ['create', entity];
    await this.#tables.submit(table, [write, ...rows.map((row): TransactionAction => ['delete', { partitionKey: partition, rowKey: row.rowKey }])]);
  }
}

function toEntity(b: RollupBucket, partitionKey: string, rowKey: string, partial: boolean) {
  return {
    partitionKey,
    rowKey,
    job: b.job,
    location: b.location,
    start: b.start,
    bucketEnd: new Date(b.end),
    up: b.up,
    degraded: b.degraded,
    down: b.down,
    maintenance: b.maintenance,
    latency: latencyText(b.latency),
    latencySumMs: double(b.latency.sumMs),
    durationMs: double(b.durationMs),
    incidents: b.incidents,
    incidentMs: double(b.incidentMs),
    partial,
  };
}

/** A stored row as a bucket; `empty`: its identity with no counts. */
function fromEntity(e: Entity, span: BucketSpan, empty = false): RollupBucket {
  const n = (name: string) => (empty ? 0 : Number(e[name] ?? 0));
  const end = e.bucketEnd instanceof Date ? e.bucketEnd : new Date(String(e.bucketEnd));
  return {
    job: String(e.job),
    location: String(e.location),
    span,
    start: String(e.start),
    end: end.toISOString(),
    up: n('up'),
    degraded: n('degraded'),
    down: n('down'),
    maintenance: n('maintenance'),
    latency: empty ? parseLatency('', 0) : parseLatency(String(e.latency ?? ''), n('latencySumMs')),
    durationMs: n('durationMs'),
    incidents: n('incidents'),
    incidentMs: n('incidentMs'),
  };
}
