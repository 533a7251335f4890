import { describe, expect, it } from 'vitest';
import type { CircuitStateStore, DispatcherStateStore, JobStateStore } from '../../../src/app/ports/index.js';
import { T0, opened, state, type RoleFactory } from './fixtures.js';

/** The contract of CircuitStateStore. */
export function describeCircuitStateStore(name: string, factory: RoleFactory<CircuitStateStore>): void {
  describe(`CircuitStateStore contract: ${name}`, () => {
    const { create } = opened(factory);

    it('keeps circuit state per job as opaque text', async () => {
      const store = await create();
      expect(await store.loadCircuit('a')).toBeUndefined();
      await store.saveCircuit('a', '{"state":{"open":1}}');
      await store.saveCircuit('b', '{"state":0}');
      expect(await store.loadCircuit('a')).toBe('{"state":{"open":1}}');
      expect(await store.loadCircuit('b')).toBe('{"state":0}');
    });
  });
}

/** The contract of JobStateStore (forgetting a job forgets its circuit too). */
export function describeJobStateStore(name: string, factory: RoleFactory<JobStateStore & CircuitStateStore>): void {
  describe(`JobStateStore contract: ${name}`, () => {
    const { create } = opened(factory);

    it('keeps job state, lists every state at once, and forgets a job', async () => {
      const store = await create();
      expect(await store.loadState('a')).toBeUndefined();
      await store.saveState('a', state('UP'));
      await store.saveState('b', state('DOWN', 3));
      await store.saveState('a', state('DOWN', 1));
      await store.saveCircuit('b', 'circuit-b');
      expect(await store.loadState('a')).toEqual(state('DOWN', 1));
      expect(Object.fromEntries(await store.loadStates())).toEqual({ a: state('DOWN', 1), b: state('DOWN', 3) });
      await store.forgetJob('b');
      expect(await store.loadState('b')).toBeUndefined();
      expect(await store.loadCircuit('b')).toBeUndefined();
      expect([...(await store.loadStates()).keys()]).toEqual(['a']);
    });

    it("lists a job's state by location: this store's own, under its location (`local` by default)", async () => {
      const store = await create();
      expect((await store.loadLocations('a')).size).toBe(0);
      await store.saveState('a', state('UP'));
      expect(Object.fromEntries(await store.loadLocations('a'))).toEqual({ local: state('UP') });
      await store.forgetJob('a');
      expect((await store.loadLocations('a')).size).toBe(0);
    });

    it('keeps the state and the circuit of a job apart', async () => {
      const store = await create();
      await store.saveCircuit('a', 'open');
      await store.saveState('a', state('DOWN', 5));
      await store.flush();
      await store.saveCircuit('a', 'closed');
      expect(await store.loadState('a')).toEqual(state('DOWN', 5));
      expect(await store.loadCircuit('a')).toBe('closed');
    });
  });
}

/** The contract of DispatcherStateStore. */
export function describeDispatcherStateStore(name: string, factory: RoleFactory<DispatcherStateStore>): void {
  describe(`DispatcherStateStore contract: ${name}`, () => {
    const { create } = opened(factory);

    it('keeps the dispatcher cursors and last tick, even with thousands of jobs', async () => {
      const store = await create();
      expect(await store.loadCursors()).toEqual({});
      expect(await store.loadLastTick()).toBeUndefined();
      const cursors = Object.fromEntries(Array.from({ length: 3_000 }, (_, i) => [`job-number-${i}`, T0 + i]));
      await store.saveCursors(cursors);
      await store.saveLastTick(T0 + 5);
      expect(await store.loadCursors()).toEqual(cursors);
      expect(await store.loadLastTick()).toBe(T0 + 5);
    });

    it('hands out copies: changing loaded cursors changes nothing stored', async () => {
      const store = await create();
      await store.saveCursors({ a: T0 });
      const loaded = (await store.loadCursors()) as Record<string, number>;
      loaded.a = 0;
      expect(await store.loadCursors()).toEqual({ a: T0 });
    });

    if (factory.reopen) {
      const reopen = factory.reopen;
      it('keeps a smaller set of cursors whole after a larger one, for the next instance', async () => {
        const store = await create();
        await store.saveCursors(Object.fromEntries(Array.from({ length: 3_000 }, (_, i) => [`job-number-${i}`, T0 + i])));
        await store.flush();
        await store.saveCursors({ only: T0 });
        await store.flush();
        const next = await reopen(store);
        try {
          expect(await next.loadCursors()).toEqual({ only: T0 });
        } finally {
          await next.close();
        }
      });
    }
  });
}
