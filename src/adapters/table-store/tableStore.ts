import type { Clock, ComponentHealth, Logger } from '../../app/ports/index.js';
import { ALERTS_TABLE } from './alertsTable.js';
import { ROLLUP_TABLES } from './rollupsTable.js';
import { RUNS_TABLES, runsTable, writeSeries } from './runsTable.js';
import { Tables, type TableConnection } from './tables.js';
import { WriteBehind } from './writeBehind.js';

export type { TableConnection } from './tables.js';

export interface TableStoreOptions {
  readonly connection: TableConnection;
  readonly logger: Logger;
  readonly clock: Clock;
  /** Prefix of every table name (letters and digits). Default `Pulsecheck`. */
  readonly tablePrefix?: string;
  /** Runs waiting to be written before recording waits (see WriteBehind). Default 10 000. */
  readonly maxPendingRuns?: number;
  /** Retries of each request by the SDK (exponential backoff). Default 2 (see Tables). */
  readonly maxRetries?: number;
  /** This instance's location: job state, circuits and the dispatcher's state are kept per location. Default `local`. */
  readonly location?: string;
  /** How long rollup buckets wait to be written with others, in ms (see RollupsTable). Default 60 000. */
  readonly rollupLingerMs?: number;
}

/** The tables of the store, without the prefix: one per role, and the runs' shards. */
export const TABLE = { jobs: 'Jobs', state: 'State', audit: 'Audit', claims: 'Claims' } as const;

/** A probe is sent when health is asked and no request ended for this long, in ms. */
const PROBE_AFTER_MS = 1_000;
/** How long health waits for that probe, in ms (a dead or hung service answers no faster). */
const PROBE_WAIT_MS = 500;

/**
 * Azure Table Storage (or Azurite), the part the roles share: the tables, the write-behind, and the
 * store's lifecycle and health. The roles over it (DispatcherTable, JobStateTable, RunsTable,
 * AuditTable, JobsTable, RollupsTable) are composed into one store in compositionStorage.ts:
 * - `<prefix>Jobs`: API-defined jobs (JobsTable);
 * - `<prefix>State`: partition `job` (each job's state and circuit per location) and `dispatcher` (per location);
 * - `<prefix>Runs0…63`: run history (RunsTable);
 * - `<prefix>Audit`: the audit log (AuditTable);
 * - `<prefix>Claims`: occurrence claims of queue mode (ClaimsTable, over its own Tables: created
 *   on first use, so inline mode never creates it);
 * - `<prefix>RollupHours`, `<prefix>RollupDays`: hourly and daily rollups of runs (RollupsTable);
 * - `<prefix>Alerts`: alert state and the outbox of notifications (AlertsTable), written through.
 * Runs, job state and dispatcher state are written behind; API jobs and the audit log are
 * written through (the API waits for them).
 */
export class TableStorage {
  readonly kind = 'table';
  readonly durable = true;
  readonly tables: Tables;
  /**
   * The alerts table on its own: created when alerts are first decided, not with the others, so the
   * first read of the API jobs (which waits at most 2 s, and creates its tables first) does not pay for it.
   */
  readonly alertTables: Tables;
  readonly writer: WriteBehind;
  readonly #logger: Logger;
  readonly #clock: Clock;

  constructor(options: TableStoreOptions) {
    this.#logger = options.logger;
    this.#clock = options.clock;
    this.tables = new Tables({
      connection: options.connection,
      prefix: options.tablePrefix ?? 'Pulsecheck',
      names: [TABLE.jobs, TABLE.state, TABLE.audit, ...RUNS_TABLES, ROLLUP_TABLES.hour, ROLLUP_TABLES.day],
      clock: options.clock,
      ...(options.maxRetries === undefined ? {} : { maxRetries: options.maxRetries }),
      // Pending writes go as soon as storage answers again, not at the end of their backoff.
      onRecovered: () => this.writer.retryNow(),
    });
    this.alertTables = new Tables({
      connection: options.connection,
      prefix: options.tablePrefix ?? 'Pulsecheck',
      names: [ALERTS_TABLE],
      clock: options.clock,
      ...(options.maxRetries === undefined ? {} : { maxRetries: options.maxRetries }),
    });
    const { tables } = this;
    this.writer = new WriteBehind({
      logger: options.logger,
      clock: options.clock,
      runPartition: runsTable,
      ...(options.maxPendingRuns === undefined ? {} : { maxPendingRuns: options.maxPendingRuns }),
      writers: {
        runs: (table, runs, batch) => writeSeries(tables, table, runs, batch),
        entities: (table, partitionKey, entities) =>
          tables.submit(
            table,
            entities.map(({ rowKey, props }) => ['upsert', { partitionKey, rowKey, ...props }, 'Merge']),
          ),
      },
    });
  }

  async flush(): Promise<void> {
    await this.writer.flush();
  }

  async close(): Promise<void> {
    await this.writer.flush({ final: true });
    this.writer.stop();
    if (this.writer.pending > 0) {
      this.#logger.error({ pending: this.writer.pending }, 'Table Storage is unavailable: writes still pending at shutdown are lost (the runs are in the logs)');
    }
  }

  /**
   * From the outcomes of the requests sent lately (a probe of at most PROBE_WAIT_MS when none was):
   * `down` as soon as a request fails, whatever the SDK's retries. `requests` counts every HTTP
   * request sent since start (the bench divides it by the checks run).
   */
  async health(): Promise<ComponentHealth> {
    if (this.#clock.now() - this.tables.outcomes.lastAt > PROBE_AFTER_MS) await this.tables.probe(PROBE_WAIT_MS);
    const { failure, requests } = this.tables.outcomes;
    const { writer } = this;
    const facts = { account: this.tables.account(), pendingWrites: writer.pending, lostRuns: writer.lost, requests };
    if (failure) {
      const since = new Date(failure.since).toISOString();
      return { status: 'down', detail: `Table Storage is unreachable since ${since}: ${failure.message}; checks go on, writes wait`, ...facts };
    }
    if (writer.failure) return { status: 'degraded', detail: `writes have been failing since ${new Date(writer.failure.since).toISOString()}; retrying`, ...facts };
    if (writer.lost > 0) return { status: 'degraded', detail: `${writer.lost} runs could not be stored in the history (they are in the logs)`, ...facts };
    return { status: 'ok', detail: `Table Storage (${facts.account})`, ...facts };
  }
}
