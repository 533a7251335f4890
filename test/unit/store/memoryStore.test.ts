import { describe, expect, it } from 'vitest';
import { MemoryStore } from '../../../src/adapters/memory-store/memoryStore.js';
import { audit, describeStateStore, run } from '../../support/stateStore.contract.js';
import { describeRollupStore } from '../../support/storeContracts/rollups.contract.js';

describeStateStore('MemoryStore (the fake)', { create: async () => new MemoryStore() });

describe('MemoryStore bounds', () => {
  it('keeps the newest maxAuditEntries audit entries, whatever order they came in', async () => {
    const store = new MemoryStore({ maxAuditEntries: 3 });
    for (const i of [3, 0, 6, 1, 5, 2, 4]) await store.recordAudit(audit(i));
    expect((await store.listAudit({ limit: 10 })).map((e) => e.id)).toEqual(['a6', 'a5', 'a4']);
  });

  const T0 = Date.UTC(2026, 0, 1);
  /** Records `runs` runs of each of `jobs` jobs, a second apart, and counts what each job keeps. */
  async function kept(options: { maxRuns: number; maxRunsPerJob: number }, jobs: number, runs: number): Promise<number[]> {
    const store = new MemoryStore(options);
    for (let r = 0; r < runs; r++) for (let j = 0; j < jobs; j++) await store.recordRun(run(`job${j}`, T0 + r * 1_000));
    return Promise.all(Array.from({ length: jobs }, async (_, j) => (await store.listRuns(`job${j}`, { limit: 1_000 })).length));
  }

  it.each([
    { what: 'few jobs: each keeps maxRunsPerJob', maxRuns: 1_000, maxRunsPerJob: 20, jobs: 5, runs: 200, each: [20, 20 + 64] },
    { what: 'many jobs: the total stays near maxRuns, shared evenly', maxRuns: 1_000, maxRunsPerJob: 100, jobs: 100, runs: 50, each: [10, 50] },
    { what: 'more jobs than maxRuns: each keeps its newest run', maxRuns: 100, maxRunsPerJob: 100, jobs: 300, runs: 3, each: [1, 3] },
  ])('bounds runs in all, whatever the job count ($what)', async ({ maxRuns, maxRunsPerJob, jobs, runs, each }) => {
    const counts = await kept({ maxRuns, maxRunsPerJob }, jobs, runs);
    const [min, max] = each as [number, number];
    for (const count of counts) {
      expect(count).toBeGreaterThanOrEqual(min);
      expect(count).toBeLessThanOrEqual(max);
    }
    const total = counts.reduce((a, b) => a + b, 0);
    expect(total).toBeLessThanOrEqual(Math.max(maxRuns + Math.max(64, maxRuns >> 4), jobs));
  });

  it('keeps the newest runs when it trims', async () => {
    const store = new MemoryStore({ maxRuns: 100, maxRunsPerJob: 100 });
    for (let r = 0; r < 40; r++) for (const job of ['a', 'b', 'c', 'd', 'e']) await store.recordRun(run(job, T0 + r * 1_000));
    const a = await store.listRuns('a', { limit: 1_000 });
    expect(a[0]?.scheduledAt).toBe(new Date(T0 + 39_000).toISOString());
    expect(a.map((r) => Date.parse(r.scheduledAt))).toEqual([...a.map((r) => Date.parse(r.scheduledAt))].sort((x, y) => y - x));
    expect(a.length).toBeLessThan(40);
  });
});

describeRollupStore('MemoryStore (the fake)', { create: async () => new MemoryStore() });
