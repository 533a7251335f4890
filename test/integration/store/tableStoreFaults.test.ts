import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemoryClaims } from '../../../src/adapters/memory-store/memoryClaims.js';
import { MemoryStore } from '../../../src/adapters/memory-store/memoryStore.js';
import { buildDeps } from '../../../src/composition.js';
import { loadSettings } from '../../../src/config/settings.js';
import { run } from '../../support/stateStore.contract.js';
import { MemoryLogger } from '../../support/fakes.js';
import { closedPort, startServer, type TestServer } from '../../support/servers.js';
import { job } from '../../support/jobs.js';
import { ALLOW_LOOPBACK } from '../../support/network.js';
import { tableConnectionAt, tableStoreAt } from '../../support/tableStores.js';

const unreachable = async () => tableConnectionAt(`http://127.0.0.1:${await closedPort()}`);

/** Storage that does not answer degrades the app; it never stops or fails the checks. */
describe('Table Storage unreachable', () => {
  let target: TestServer;
  beforeAll(async () => {
    target = await startServer((_req, res) => res.end('ok'));
  });
  afterAll(async () => {
    await target.close();
  });

  it('still runs checks and answers them; health shows the storage down', async () => {
    const logger = new MemoryLogger();
    const store = tableStoreAt(await unreachable(), 'down', { logger, maxRetries: 0 });
    const configJob = job({ url: `${target.url}/health`, every: '1h' });
    const deps = buildDeps(loadSettings({ PULSECHECK_LOG_LEVEL: 'silent', ...ALLOW_LOOPBACK }), {
      logger,
      store,
      configSource: { list: async () => [configJob], health: () => ({ status: 'ok', detail: 'test' }), close: () => undefined },
    });
    try {
      const result = await deps.useCases.manualRuns.runNow('target');
      expect(result).toMatchObject({ job: 'target', status: 'up' });
      const health = await deps.useCases.health.report();
      expect(health.status).toBe('degraded');
      expect(health.checks.storage).toMatchObject({ status: 'down', detail: expect.stringContaining('unreachable') });
      // The run is kept to be written when storage returns.
      expect(health.checks.storage).toMatchObject({ pendingWrites: expect.any(Number) });
      expect(health.checks.storage?.pendingWrites).toBeGreaterThan(0);
    } finally {
      await deps.close();
    }
  });

  it('saves at once and loads back from memory, whatever storage does', async () => {
    const store = tableStoreAt(await unreachable(), 'mem');
    const started = Date.now();
    await store.saveCursors({ a: 1 });
    await store.saveLastTick(2);
    await store.saveState('a', { health: 'DOWN', since: '2026-01-01T00:00:00.000Z', consecutiveFailures: 1, consecutiveSuccesses: 0, lastRun: null });
    await store.saveCircuit('a', 'open');
    await store.recordRun(run('a', Date.UTC(2026, 0, 1)));
    expect(await store.loadCursors()).toEqual({ a: 1 });
    expect(await store.loadLastTick()).toBe(2);
    expect(await store.loadState('a')).toMatchObject({ health: 'DOWN' });
    expect(await store.loadCircuit('a')).toBe('open');
    await store.flush(); // one attempt, which fails
    await store.flush(); // storage is known to be down: at once
    expect(await store.health()).toMatchObject({ status: 'down', pendingWrites: 4 });
    expect(Date.now() - started).toBeLessThan(2_000);
    await store.close();
  });

  it('waits once for job states storage is slow to give, not once per load, then serves memory', async () => {
    const silent = await startServer(() => undefined); // takes each request and never answers
    const logger = new MemoryLogger();
    const store = tableStoreAt(tableConnectionAt(silent.url), 'slow', { logger, maxRetries: 0 });
    try {
      const started = Date.now();
      const loads = await Promise.all(Array.from({ length: 200 }, (_, i) => store.loadState(`job${i}`)));
      expect(loads.every((state) => state === undefined)).toBe(true);
      expect(Date.now() - started).toBeLessThan(3_500);
      expect(logger.records.filter((r) => r.message?.includes('job states are slow to read'))).toHaveLength(1);
      const later = Date.now();
      await store.loadState('job0');
      expect(Date.now() - later).toBeLessThan(500);
    } finally {
      await store.close();
      await silent.close();
    }
  });

  it('drops the oldest pending run only while writes fail and the buffer is full, counting and logging it', async () => {
    const logger = new MemoryLogger();
    const store = tableStoreAt(await unreachable(), 'full', { logger, maxRetries: 0, maxPendingRuns: 3 });
    for (let i = 0; i < 3; i++) await store.recordRun(run('a', Date.UTC(2026, 0, 1, 0, 0, i)));
    await store.flush(); // fails: storage is down
    await store.recordRun(run('a', Date.UTC(2026, 0, 1, 0, 1)));
    expect(await store.health()).toMatchObject({ status: 'down', lostRuns: 1 });
    expect(logger.records.some((r) => r.message?.includes('could not be stored'))).toBe(true);
    await store.close();
    expect(logger.records.some((r) => r.message?.includes('pending at shutdown are lost'))).toBe(true);
  });
});

describe('retention timer', () => {
  it('deletes runs older than PULSECHECK_RETENTION_DAYS and keeps newer ones', async () => {
    const store = new MemoryStore();
    const now = Date.parse('2026-11-23T12:00:00Z');
    const day = 86_400_000;
    for (const age of [1, 6, 8, 40]) await store.recordRun(run('kept', now - age * day));
    const deps = buildDeps(loadSettings({ PULSECHECK_RETENTION_DAYS: '7', PULSECHECK_LOG_LEVEL: 'silent' }), {
      store,
      clock: { now: () => now, sleepUntil: async () => undefined },
      configSource: { list: async () => [], health: () => ({ status: 'ok', detail: 'test' }), close: () => undefined },
    });
    expect(await deps.useCases.admin.applyRetention()).toEqual({ deleted: 2, before: new Date(now - 7 * day).toISOString(), complete: true });
    expect((await store.listRuns('kept', { limit: 10 })).map((r) => r.scheduledAt)).toEqual([new Date(now - day).toISOString(), new Date(now - 6 * day).toISOString()]);
    await deps.close();
  });

  it('deletes the occurrence claims of queue mode older than PULSECHECK_RETENTION_DAYS, whole days', async () => {
    const claims = new MemoryClaims();
    const store = Object.assign(new MemoryStore(), { claims });
    const now = Date.parse('2026-11-23T12:00:00Z');
    const day = 86_400_000;
    const claimOf = (age: number) => `job@${new Date(now - age * day).toISOString()}|westeurope`;
    for (const age of [1, 6, 8, 40]) await claims.claim(claimOf(age), { messageId: 'm', at: 0 });
    const deps = buildDeps(loadSettings({ PULSECHECK_RETENTION_DAYS: '7', PULSECHECK_LOG_LEVEL: 'silent' }), {
      store,
      clock: { now: () => now, sleepUntil: async () => undefined },
      configSource: { list: async () => [], health: () => ({ status: 'ok', detail: 'test' }), close: () => undefined },
    });
    expect(await deps.useCases.queuedChecks.applyRetention()).toEqual({ deleted: 2, before: new Date(now - 7 * day).toISOString(), complete: true });
    for (const age of [1, 6]) expect(await claims.claim(claimOf(age), { messageId: 'other', at: 0 })).toMatchObject({ claimed: false });
    await deps.close();
  });
});
