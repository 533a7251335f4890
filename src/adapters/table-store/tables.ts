import { createRequire } from 'node:module';
import type { TokenCredential } from '@azure/core-auth';
import type * as DataTables from '@azure/data-tables';
import type { TableClient, TableEntityResult, TableServiceClientOptions, TransactionAction } from '@azure/data-tables';
import type { Clock } from '../../app/ports/index.js';
import { dependencyUnavailable } from '../../domain/errors.js';
import { batchConnections, submitBatch } from './batch.js';
import { isTransient, statusOf } from './entities.js';

// The SDK is loaded when a store is first used, not when this module is imported: without
// AzureWebJobsStorage it would cost memory for nothing (the local host's burst budget is 150 MB).
const require = createRequire(import.meta.url);
let sdk: typeof DataTables | undefined;
const dataTables = (): typeof DataTables => (sdk ??= require('@azure/data-tables') as typeof DataTables);

/** The table itself is missing (deleted, or an emulator restarted without its data). */
const isTableNotFound = (error: unknown): boolean => /TableNotFound/.test(`${(error as { code?: string } | null)?.code} ${(error as Error | null)?.message}`);

/** OData filter text with values quoted and escaped (the SDK's `odata` tag). */
export const odata = (strings: TemplateStringsArray, ...values: unknown[]): string => dataTables().odata(strings, ...values);

/** A connection string (`UseDevelopmentStorage=true` for Azurite), or an endpoint and an identity. */
export type TableConnection =
  | { readonly connectionString: string }
  | { readonly endpoint: string; readonly credential: TokenCredential };

/** An entity as read back (keys are always selected). */
export type Entity = TableEntityResult<Record<string, unknown>> & { partitionKey: string; rowKey: string };

export interface TablesOptions {
  readonly connection: TableConnection;
  /** Prefix of every table name (letters and digits, starting with a letter). */
  readonly prefix: string;
  /** The tables to create on first use, without the prefix. */
  readonly names: readonly string[];
  readonly clock: Clock;
  /** Retries of each request by the SDK (exponential backoff from 100 ms, at most 1 s apart). Default 2. */
  readonly maxRetries?: number;
  /** How long one HTTP request may take before the SDK gives it up (and retries it), in ms. Default 10 000. */
  readonly requestTimeoutMs?: number;
  /** Called when a request succeeds after one failed (storage is back). */
  readonly onRecovered?: () => void;
}

/** What the requests sent so far tell about the service: the store's health comes from this, not from a probe. */
export interface Outcomes {
  /** HTTP requests sent (each retry counts), since start. */
  readonly requests: number;
  /** When the last request ended (epoch ms), 0 before the first. */
  readonly lastAt: number;
  /** Set while the last request failed (no answer, or a 5xx / 408 / 429): since when and why. */
  readonly failure: { readonly since: number; readonly message: string } | undefined;
}

/**
 * The tables of one store: SDK clients made once per table, the tables created on first use (a
 * failed creation is tried again by the next call), and queries that page through results. The
 * SDK retries each request itself, briefly (writes are written behind and tried again later by
 * WriteBehind; reads on the check path are served from memory): nothing here retries again. Every
 * request's outcome is counted (`outcomes`), so health never waits on a dead socket.
 */
export class Tables {
  readonly #connection: TableConnection;
  readonly #prefix: string;
  readonly #names: readonly string[];
  readonly #clock: Clock;
  readonly #onRecovered: (() => void) | undefined;
  readonly #clients = new Map<string, TableClient>();
  readonly #options: TableServiceClientOptions;
  readonly #outcomes: { requests: number; lastAt: number; failure: Outcomes['failure'] } = { requests: 0, lastAt: 0, failure: undefined };
  #ready: Promise<void> | undefined;
  /** This store's connections for transactions, made on the first one. */
  #connections: ReturnType<typeof batchConnections> | undefined;

  constructor(options: TablesOptions) {
    const { prefix } = options;
    if (!/^[A-Za-z][A-Za-z0-9]{0,50}$/.test(prefix)) throw new Error(`table prefix "${prefix}" must be letters and digits, starting with a letter`);
    this.#connection = options.connection;
    this.#prefix = prefix;
    this.#names = options.names;
    this.#clock = options.clock;
    this.#onRecovered = options.onRecovered;
    const timeout = options.requestTimeoutMs ?? 10_000;
    this.#options = {
      retryOptions: { maxRetries: options.maxRetries ?? 2, retryDelayInMs: 100, maxRetryDelayInMs: 1_000 },
      additionalPolicies: [
        {
          position: 'perRetry',
          policy: {
            name: 'pulsecheckOutcomes',
            sendRequest: async (request, next) => {
              request.timeout ||= timeout;
              this.#outcomes.requests++;
              try {
                const response = await next(request);
                const { status } = response;
                this.#record(status >= 500 || status === 408 || status === 429 ? `HTTP ${status}` : undefined);
                return response;
              } catch (error) {
                const { name, message } = error as Error;
                this.#record(name === 'AbortError' ? 'no answer in time' : message?.split('\n')[0] || String(error));
                throw error;
              }
            },
          },
        },
      ],
    };
  }

  /** What the requests sent so far tell (see `Outcomes`). */
  get outcomes(): Outcomes {
    return this.#outcomes;
  }

  #record(failure: string | undefined): void {
    const now = this.#clock.now();
    const recovered = failure === undefined && this.#outcomes.failure !== undefined;
    this.#outcomes.lastAt = now;
    this.#outcomes.failure = failure === undefined ? undefined : { since: this.#outcomes.failure?.since ?? now, message: failure };
    if (recovered) this.#onRecovered?.();
  }

  /** The client of table `name` (without the prefix). */
  table(name: string): TableClient {
    const full = `${this.#prefix}${name}`;
    let client = this.#clients.get(full);
    if (!client) {
      const connection = this.#connection;
      if ('endpoint' in connection) {
        client = new (dataTables().TableClient)(connection.endpoint, full, connection.credential, this.#clientOptions(connection.endpoint.startsWith('http:')));
      } else {
        const insecure = /(^|;)\s*(DefaultEndpointsProtocol=http|TableEndpoint=http:)/i.test(connection.connectionString);
        client = dataTables().TableClient.fromConnectionString(connection.connectionString, full, this.#clientOptions(insecure));
      }
      this.#clients.set(full, client);
    }
    return client;
  }

  #clientOptions(allowInsecureConnection: boolean): TableServiceClientOptions {
    return { ...this.#options, allowInsecureConnection };
  }

  /**
   * One cheap read (an entity that does not exist), given up after `timeoutMs`: its outcome is
   * recorded like any other request's. For health when nothing else was sent lately.
   */
  async probe(timeoutMs: number): Promise<void> {
    const table = this.table(this.#names[0] as string);
    await table.getEntity('probe', 'probe', { abortSignal: AbortSignal.timeout(timeoutMs) }).catch(() => undefined);
  }

  /**
   * Runs `operation` once the tables exist (created again if they were deleted meanwhile). A failure
   * of the service (see `isTransient`) is thrown as `dependencyUnavailable` (a 503 in the API).
   */
  async call<T>(operation: () => Promise<T>): Promise<T> {
    try {
      return await this.#call(operation);
    } catch (error) {
      throw isTransient(error) ? dependencyUnavailable('Table Storage', error) : error;
    }
  }

  async #call<T>(operation: () => Promise<T>): Promise<T> {
    const ready = (this.#ready ??= Promise.all(this.#names.map((name) => this.table(name).createTable())).then(
      () => undefined,
      (error: unknown) => {
        this.#ready = undefined;
        throw error;
      },
    ));
    await ready;
    try {
      return await operation();
    } catch (error) {
      if (!isTableNotFound(error)) throw error;
      if (this.#ready === ready) this.#ready = undefined;
      await this.#call(() => Promise.resolve());
      return operation();
    }
  }

  /** Like `call`, with a 404 (no such entity) as `undefined`. */
  async orUndefined<T>(operation: () => Promise<T>): Promise<T | undefined> {
    try {
      return await this.call(operation);
    } catch (error) {
      if (statusOf(error) === 404) return undefined;
      throw error;
    }
  }

  /** One entity-group transaction (same table and partition, at most 100 actions); see `submitBatch`. */
  async submit(table: string, actions: TransactionAction[]): Promise<void> {
    const connections = (this.#connections ??= batchConnections());
    await this.call(() => submitBatch(this.table(table), dataTables().RestError, actions, connections));
  }

  /** Every entity matching `filter`, in key order, or only the first `top` (with only the `select` properties). */
  async query(table: string, filter: string, top?: number, select?: string[]): Promise<Entity[]> {
    const found: Entity[] = [];
    const visit = (entity: Entity) => {
      found.push(entity);
      return top === undefined || found.length < top;
    };
    await this.scan(table, filter, top ?? 1_000, visit, select);
    return found;
  }

  /**
   * Reads entities matching `filter` in key order, `pageSize` per request, until `visit` returns false
   * (a page close to what the caller needs: every entity in a page is read and sent).
   */
  async scan(table: string, filter: string, pageSize: number, visit: (entity: Entity) => boolean, select?: string[]): Promise<void> {
    await this.call(async () => {
      const pages = this.table(table)
        .listEntities<Record<string, unknown>>({ queryOptions: { filter, ...(select ? { select } : {}) } })
        .byPage({ maxPageSize: Math.min(1_000, pageSize) });
      for await (const page of pages) {
        for (const entity of page) if (!visit(entity as Entity)) return;
      }
    });
  }

  /** The account (or endpoint host) for `/api/health`; never a key. */
  account(): string {
    const connection = this.#connection;
    if ('endpoint' in connection) return new URL(connection.endpoint).host;
    if (/UseDevelopmentStorage=true/i.test(connection.connectionString)) return 'devstoreaccount1 (Azurite)';
    return /AccountName=([^;]+)/i.exec(connection.connectionString)?.[1] ?? 'unknown';
  }
}
