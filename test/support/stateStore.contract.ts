import { describe, expect, it } from 'vitest';
import type { StateStore } from '../../src/app/ports/index.js';
import { describeAlertStores } from './storeContracts/alerts.contract.js';
import { describeAuditStore, describeJobRepository } from './storeContracts/apiRoles.contract.js';
import { T0, audit, opened, run, state, storedJob, type RoleFactory } from './storeContracts/fixtures.js';
import { describeRunStore } from './storeContracts/runs.contract.js';
import { describeCircuitStateStore, describeDispatcherStateStore, describeJobStateStore } from './storeContracts/stateRoles.contract.js';

export { audit, run } from './storeContracts/fixtures.js';
export type StoreFactory = RoleFactory<StateStore>;

/**
 * Every role's contract (one suite per role port of `app/ports/stores.ts`), then what holds for the
 * store as a whole: data kept for the next instance once flushed, and health.
 */
export function describeStateStore(name: string, factory: StoreFactory): void {
  describeCircuitStateStore(name, factory);
  describeJobStateStore(name, factory);
  describeDispatcherStateStore(name, factory);
  describeRunStore(name, factory);
  describeAuditStore(name, factory);
  describeJobRepository(name, factory);
  describeAlertStores(name, factory);

  describe(`StateStore contract: ${name}`, () => {
    const { create, track } = opened(factory);

    if (factory.reopen) {
      const reopen = factory.reopen;
      it('keeps everything for the next instance once flushed: jobs, state, circuits, cursors, runs, audit', async () => {
        const store = await create();
        await store.createJob(storedJob('kept'));
        await store.saveState('kept', state('DOWN', 2));
        await store.saveCircuit('kept', 'open-circuit');
        await store.saveCursors({ kept: T0 });
        await store.saveLastTick(T0);
        for (let i = 0; i < 5; i++) await store.recordRun(run('kept', T0 + i * 1_000));
        await store.recordAudit(audit(1));
        await store.flush();
        const next = await reopen(store);
        track(next);
        expect(await next.getJob('kept')).toEqual(storedJob('kept'));
        expect(await next.loadState('kept')).toEqual(state('DOWN', 2));
        expect(await next.loadCircuit('kept')).toBe('open-circuit');
        expect(await next.loadCursors()).toEqual({ kept: T0 });
        expect(await next.loadLastTick()).toBe(T0);
        expect((await next.listRuns('kept', { limit: 10 })).map((r) => r.scheduledAt)).toEqual(
          [4, 3, 2, 1, 0].map((i) => new Date(T0 + i * 1_000).toISOString()),
        );
        expect(await next.listAudit({ limit: 10 })).toEqual([audit(1)]);
      });
    }

    it('reports its health', async () => {
      const store = await create();
      expect(await store.health()).toMatchObject({ status: 'ok' });
    });
  });
}
