import { describe, expect, it } from 'vitest';
import { SystemClock } from '../../../src/adapters/system-clock/systemClock.js';
import type { Clock } from '../../../src/app/ports/index.js';
import { uniquePrefix } from '../../support/azurite.js';
import { eventually } from '../../support/eventually.js';
import { T0 } from '../../support/storeContracts/fixtures.js';
import { deltas, describeRollupStore } from '../../support/storeContracts/rollups.contract.js';
import { azuriteStores } from '../../support/tableStores.js';

/**
 * The real clock, 5 minutes ahead: compaction leaves partial rows younger than 2 minutes (by their
 * server Timestamp) alone, so this store may compact what a test has just written.
 */
const system = new SystemClock();
const ahead: Clock = { now: () => Date.now() + 5 * 60_000, sleepUntil: (at, signal) => system.sleepUntil(at - 5 * 60_000, signal) };

/** A short linger (default a minute), so the test of lingering waits seconds. */
const stores = azuriteStores({ clock: ahead, rollupLingerMs: 2_000 });
const open = (tablePrefix: string, clock: Clock = ahead, rollupLingerMs = 2_000) => stores.open(tablePrefix, { clock, rollupLingerMs });

describeRollupStore('TableStore on Azurite', {
  create: async () => {
    const store = open(uniquePrefix('roll'));
    await store.saveLastTick(1); // creates the tables
    return store;
  },
  reopen: async (store) => stores.reopen(store),
});

describe('TableStore rollups, written behind', () => {
  it('buckets added while a write is under way are written a linger later, with no further add or flush', async () => {
    const prefix = uniquePrefix('linger');
    const store = open(prefix);
    const reader = open(prefix);
    try {
      await store.saveLastTick(1);
      await store.addRollups(deltas('late', T0));
      const writing = store.flush();
      await store.addRollups(deltas('late', T0 + 1_000));
      await writing;
      await eventually(async () => (await reader.listRollups({ job: 'late', span: 'hour', from: T0, to: T0 + 3_600_000 }))[0]?.up === 2, {
        timeoutMs: 15_000,
        intervalMs: 250,
        what: 'the second run in storage',
      });
    } finally {
      await Promise.all([store.close(), reader.close()]);
    }
  });

  it('a periodic flush (each tick) leaves buckets to their linger; this store lists them meanwhile, a full flush writes them', async () => {
    const prefix = uniquePrefix('periodic');
    const store = open(prefix, ahead, 60_000);
    const reader = open(prefix);
    const query = { job: 'tick', span: 'hour', from: T0, to: T0 + 3_600_000 } as const;
    try {
      await store.saveLastTick(1);
      await store.addRollups(deltas('tick', T0));
      await store.flush({ periodic: true });
      expect(await reader.listRollups(query)).toEqual([]);
      expect((await store.listRollups(query))[0]?.up).toBe(1);
      await store.addRollups(deltas('tick', T0 + 1_000));
      await store.flush();
      expect((await reader.listRollups(query))[0]?.up).toBe(2);
      expect((await store.listRollups(query))[0]?.up).toBe(2);
    } finally {
      await Promise.all([store.close(), reader.close()]);
    }
  });

  it('with the real clock, partials younger than two minutes are left for the next compaction (a write sent again stays a no-op)', async () => {
    const prefix = uniquePrefix('settle');
    const store = open(prefix, system);
    try {
      await store.saveLastTick(1);
      await store.addRollups(deltas('fresh', T0));
      await store.flush();
      expect(await store.compactRollups(Date.now() + 86_400_000, 0, 1_000)).toEqual({ compacted: 0, deleted: 0 });
      expect((await store.listRollups({ job: 'fresh', span: 'day', from: T0 - 86_400_000, to: T0 + 86_400_000 }))[0]?.up).toBe(1);
    } finally {
      await store.close();
    }
  });
});
