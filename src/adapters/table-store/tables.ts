import { createRequire } from 'node:module';
import type { TokenCredential } from '@azure/core-auth';
import type * as DataTables from '@azure/data-tables';
import type { TableClient, TableEntityResult, TransactionAction } from '@azure/data-tables';
import { statusOf } from './entities.js';

// The SDK is loaded when a store is first used, not when this module is imported: without
// AzureWebJobsStorage it would cost memory for nothing (the local host's burst budget is 150 MB).
const require = createRequire(import.meta.url);
let sdk: typeof DataTables | undefined;
const dataTables = (): typeof DataTables => (sdk ??= require('@azure/data-tables') as typeof DataTables);

/** OData filter text with values quoted and escaped (the SDK's `odata` tag). */
export const odata = (strings: TemplateStringsArray, ...values: unknown[]): string => dataTables().odata(strings, ...values);

/** A connection string (`UseDevelopmentStorage=true` for Azurite), or an endpoint and an identity. */
export type TableConnection =
  | { readonly connectionString: string }
  | { readonly endpoint: string; readonly credential: TokenCredential };

/** An entity as read back (keys are always selected). */
export type Entity = TableEntityResult<Record<string, unknown>> & { partitionKey: string; rowKey: string };

/**
 * The tables of one store: SDK clients made once per table, the tables created on first use (a
 * failed creation is tried again by the next call), and queries that page through results. The
 * SDK retries each request itself (exponential, 3 retries): nothing here retries again.
 */
export class Tables {
  readonly #connection: TableConnection;
  readonly #prefix: string;
  readonly #names: readonly string[];
  readonly #clients = new Map<string, TableClient>();
  #ready: Promise<void> | undefined;

  readonly #retryOptions: { maxRetries: number } | undefined;

  /** `names` are the tables to create, without the prefix; `maxRetries` overrides the SDK's 3. */
  constructor(connection: TableConnection, prefix: string, names: readonly string[], maxRetries?: number) {
    this.#retryOptions = maxRetries === undefined ? undefined : { maxRetries };
    if (!/^[A-Za-z][A-Za-z0-9]{0,50}$/.test(prefix)) throw new Error(`table prefix "${prefix}" must be letters and digits, starting with a letter`);
    this.#connection = connection;
    this.#prefix = prefix;
    this.#names = names;
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

  #clientOptions(allowInsecureConnection: boolean) {
    return { allowInsecureConnection, ...(this.#retryOptions ? { retryOptions: this.#retryOptions } : {}) };
  }

  /** Runs `operation` once the tables exist. */
  async call<T>(operation: () => Promise<T>): Promise<T> {
    this.#ready ??= Promise.all(this.#names.map((name) => this.table(name).createTable())).then(
      () => undefined,
      (error: unknown) => {
        this.#ready = undefined;
        throw error;
      },
    );
    await this.#ready;
    return operation();
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

  /** One entity-group transaction (same table and partition, at most 100 actions). */
  async submit(table: string, actions: TransactionAction[]): Promise<void> {
    await this.call(() => this.table(table).submitTransaction(actions));
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
