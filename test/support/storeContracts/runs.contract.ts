import { describe, expect, it } from 'vitest';
import type { RunStore } from '../../../src/app/ports/index.js';
import { runKey } from '../../../src/domain/history.js';
import type { Run } from '../../../src/domain/run.js';
import { T0, opened, pageAll, run, type RoleFactory } from './fixtures.js';

/** The contract of RunStore. */
export function describeRunStore(name: string, factory: RoleFactory<RunStore>): void {
  describe(`RunStore contract: ${name}`, () => {
    const { create } = opened(factory);

    it('lists runs newest first, per job, and records a redelivered run once', async () => {
      const store = await create();
      const runs = [run('a', T0 + 2_000), run('a', T0), run('a', T0 + 1_000, { status: 'down', success: false, httpStatus: 503 }), run('b', T0 + 500)];
      for (const r of runs) await store.recordRun(r);
      await store.recordRun(run('a', T0 + 2_000, { durationMs: 999 }));
      expect(await store.listRuns('a', { limit: 10 })).toEqual([runs[0], runs[2], runs[1]]);
      expect(await store.listRuns('b', { limit: 10 })).toEqual([runs[3]]);
      expect(await store.listRuns('nobody', { limit: 10 })).toEqual([]);
    });

    it('keeps apart jobs whose names start alike, stored or not', async () => {
      const store = await create();
      const names = ['a', 'a-b', 'a_b', 'ab', 'A1'];
      for (const [i, job] of names.entries()) await store.recordRun(run(job, T0 + i * 1_000));
      await store.flush();
      await store.recordRun(run('a', T0 + 60_000));
      expect((await store.listRuns('a', { limit: 10 })).map((r) => r.runId)).toEqual([run('a', T0 + 60_000).runId, run('a', T0).runId]);
      for (const [i, job] of names.slice(1).entries()) expect((await store.listRuns(job, { limit: 10 })).map((r) => r.scheduledAt)).toEqual([new Date(T0 + (i + 1) * 1_000).toISOString()]);
    });

    it('pages runs with a key: every run exactly once, in order, including runs in the same millisecond', async () => {
      const store = await create();
      const all: Run[] = [];
      for (let i = 0; i < 23; i++) all.push(run('p', T0 + Math.floor(i / 2) * 1_000, { runId: `p@${i}~manual` }));
      for (const r of all) await store.recordRun(r);
      const pages = await pageAll((after) => store.listRuns('p', { limit: 5, ...(after ? { after } : {}) }), 5, runKey);
      expect(pages.map((p) => p.length)).toEqual([5, 5, 5, 5, 3]);
      const listed = pages.flat();
      expect(listed.map(runKey)).toEqual([...all.map(runKey)].sort());
      expect(new Set(listed.map((r) => r.runId)).size).toBe(23);
    });

    it('pages runs across minutes written in several batches, out of order', async () => {
      const store = await create();
      const all = Array.from({ length: 30 }, (_, i) => run('series', T0 + i * 20_000));
      const order = [...all.keys()].sort((a, b) => ((a * 7) % 30) - ((b * 7) % 30));
      for (const [n, i] of order.entries()) {
        await store.recordRun(all[i] as Run);
        if (n % 2 === 1) await store.flush();
      }
      const pages = await pageAll((after) => store.listRuns('series', { limit: 4, ...(after ? { after } : {}) }), 4, runKey);
      expect(pages.flat().map((r) => r.scheduledAt)).toEqual([...all].reverse().map((r) => r.scheduledAt));
    });

    it('deletes old runs in bounded batches and keeps the recent ones (cutoff on a minute)', async () => {
      const store = await create();
      for (let i = 0; i < 30; i++) await store.recordRun(run(`job${i % 3}`, T0 + i * 60_000));
      await store.flush();
      const cutoff = T0 + 20 * 60_000;
      expect(await store.deleteRunsBefore(cutoff, 8)).toBe(8);
      expect(await store.deleteRunsBefore(cutoff, 8)).toBe(8);
      expect(await store.deleteRunsBefore(cutoff, 8)).toBe(4);
      expect(await store.deleteRunsBefore(cutoff, 8)).toBe(0);
      const left = (await Promise.all(['job0', 'job1', 'job2'].map((j) => store.listRuns(j, { limit: 100 })))).flat();
      expect(left).toHaveLength(10);
      for (const r of left) expect(Date.parse(r.scheduledAt)).toBeGreaterThanOrEqual(cutoff);
    });
  });
}
