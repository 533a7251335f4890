import { describe, expect, it } from 'vitest';
import { uniquePrefix } from '../../support/azurite.js';
import { eventually } from '../../support/eventually.js';
import { describeStateStore, run } from '../../support/stateStore.contract.js';
import { azuriteStores } from '../../support/tableStores.js';

const { open, reopen } = azuriteStores();

describeStateStore('TableStore on Azurite', {
  create: async () => open(),
  reopen: async (store) => reopen(store),
});

describe('TableStore batching', () => {
  it('writes the runs and states of many jobs in a request per runs table and per 100 states, not per check', async () => {
    const store = open(uniquePrefix('batch'));
    try {
      await store.saveLastTick(1); // creates the tables
      await store.flush();
      const requests = async () => Number((await store.health()).requests);
      const before = await requests();
      const jobs = Array.from({ length: 300 }, (_, i) => `job-${i}`);
      for (const job of jobs) {
        await store.recordRun(run(job, Date.UTC(2026, 0, 1, 0, 0, 10)));
        await store.recordRun(run(job, Date.UTC(2026, 0, 1, 0, 0, 20)));
        await store.saveState(job, { health: 'UP', since: '2026-01-01T00:00:00.000Z', consecutiveFailures: 0, consecutiveSuccesses: 2, lastRun: null });
      }
      await store.flush();
      const used = (await requests()) - before;
      // 600 runs and 300 states: at most one transaction per runs table (64), 3 for the states, and a health probe.
      expect(used).toBeLessThanOrEqual(64 + 3 + 2);
      expect((await store.listRuns('job-7', { limit: 10 })).map((r) => r.scheduledAt)).toEqual(['2026-01-01T00:00:20.000Z', '2026-01-01T00:00:10.000Z']);
    } finally {
      await store.close();
    }
  });

  it('writes the cursors at once, without lingering: a crash right after a save keeps them', async () => {
    const prefix = uniquePrefix('urgent');
    const store = open(prefix);
    const other = open(prefix);
    try {
      await store.saveLastTick(1);
      await store.flush();
      await store.saveCursors({ inFlight: 42 });
      await store.recordRun(run('lingering', Date.UTC(2026, 0, 1)));
      // Another instance sees the cursors well before the 2 s linger, and the run still lingers.
      await eventually(async () => (await open(prefix).loadCursors()).inFlight === 42, { timeoutMs: 1_500, intervalMs: 100, what: 'the cursors in storage' });
      expect(await other.listRuns('lingering', { limit: 1 })).toEqual([]);
    } finally {
      await Promise.all([store.close(), other.close()]);
    }
  });
});

