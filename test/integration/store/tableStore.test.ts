import { afterAll, beforeAll } from 'vitest';
import { SystemClock } from '../../../src/adapters/system-clock/systemClock.js';
import { tableStore } from '../../../src/compositionStorage.js';
import type { StateStore } from '../../../src/app/ports/index.js';
import type { RunningAzurite } from '../../../src/hosts/local/azurite.js';
import { acquireAzurite, releaseAzurite, uniquePrefix } from '../../support/azurite.js';
import { MemoryLogger } from '../../support/fakes.js';
import { describeStateStore } from '../../support/stateStore.contract.js';

let azurite: RunningAzurite;
const prefixes = new WeakMap<StateStore, string>();
const open = (tablePrefix: string) => {
  const store = tableStore({ clock: new SystemClock(),  connection: { connectionString: azurite.connectionString }, logger: new MemoryLogger(), tablePrefix });
  prefixes.set(store, tablePrefix);
  return store;
};

beforeAll(async () => {
  azurite = await acquireAzurite();
});
afterAll(async () => {
  await releaseAzurite();
});

describeStateStore('TableStore on Azurite', {
  create: async () => open(uniquePrefix()),
  reopen: async (store) => open(prefixes.get(store) as string),
});
