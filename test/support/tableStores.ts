import { afterAll, beforeAll } from 'vitest';
import { SystemClock } from '../../src/adapters/system-clock/systemClock.js';
import type { TableStoreOptions } from '../../src/adapters/table-store/tableStore.js';
import type { StateStore } from '../../src/app/ports/index.js';
import { tableStore } from '../../src/compositionStorage.js';
import { acquireAzurite, releaseAzurite, uniquePrefix } from './azurite.js';
import { MemoryLogger } from './fakes.js';

/** Azurite's well-known development key (public, documented by Microsoft; not a secret). */
const DEV_KEY = 'Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==';

/** A connection string for Azurite's development account with its Table endpoint at `baseUrl` (e.g. a closed port, or a server that never answers). */
export const tableConnectionAt = (baseUrl: string): string =>
  `DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=${DEV_KEY};TableEndpoint=${baseUrl}/devstoreaccount1;`;

/** What a test may choose of a store; the connection and the table prefix are the helper's. */
export type StoreOptions = Partial<Omit<TableStoreOptions, 'connection' | 'tablePrefix'>>;

/** `tableStore` at `connectionString`, with the real clock and a silent logger unless `options` say otherwise. */
export const tableStoreAt = (connectionString: string, tablePrefix: string, options: StoreOptions = {}): StateStore =>
  tableStore({ clock: new SystemClock(), logger: new MemoryLogger(), ...options, connection: { connectionString }, tablePrefix });

export interface AzuriteStores {
  /** A store on its own tables (a fresh prefix unless given). */
  open(tablePrefix?: string, options?: StoreOptions): StateStore;
  /** Another store on the tables of `store` (what a restart or a second instance reads). */
  reopen(store: object, options?: StoreOptions): StateStore;
  /** The connection string of the file's Azurite (after `beforeAll`). */
  readonly connectionString: string;
}

/**
 * Table stores on the Azurite shared by the test file: call at the top of the file (or a `describe`);
 * it acquires Azurite in `beforeAll` and releases it in `afterAll`. `defaults` apply to every store.
 */
export function azuriteStores(defaults: StoreOptions = {}): AzuriteStores {
  let connectionString: string | undefined;
  const prefixes = new WeakMap<object, string>();
  beforeAll(async () => {
    connectionString = (await acquireAzurite()).connectionString;
  });
  afterAll(async () => {
    await releaseAzurite();
  });
  const connection = (): string => {
    if (connectionString === undefined) throw new Error('azuriteStores: Azurite is acquired in beforeAll; open stores in tests or hooks');
    return connectionString;
  };
  const open = (tablePrefix = uniquePrefix(), options: StoreOptions = {}): StateStore => {
    const store = tableStoreAt(connection(), tablePrefix, { ...defaults, ...options });
    prefixes.set(store, tablePrefix);
    return store;
  };
  return {
    open,
    reopen: (store, options) => {
      const prefix = prefixes.get(store);
      if (prefix === undefined) throw new Error('azuriteStores: reopen takes a store this helper opened');
      return open(prefix, options);
    },
    get connectionString() {
      return connection();
    },
  };
}
