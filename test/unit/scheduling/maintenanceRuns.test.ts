import { bulkhead } from 'cockatiel';
import { describe, expect, it } from 'vitest';
import { MemoryStore } from '../../../src/adapters/memory-store/memoryStore.js';
import { CheckRunner } from '../../../src/app/checkRunner.js';
import { Dispatcher } from '../../../src/app/dispatcher.js';
import type { JobCatalog, Prober, ProbeRequest } from '../../../src/app/ports/index.js';
import type { Job } from '../../../src/domain/job.js';
import type { MaintenanceChecks } from '../../../src/domain/maintenance.js';
import type { Attempt } from '../../../src/domain/outcome.js';
import { compileCron, type Schedule } from '../../../src/domain/schedule.js';
import { FakeClock, MemoryLogger, RecordingTelemetry } from '../../support/fakes.js';
import { job } from '../../support/jobs.js';

const T0 = Date.parse('2026-11-23T12:00:00.000Z');
const cron = (expression: string) => compileCron(expression, 'UTC') as Schedule;

/** Answers 503 (down) at once and notes which job it was asked for. */
class DownProber implements Prober {
  readonly calls: Array<{ runId: string; at: number }> = [];
  constructor(private readonly clock: FakeClock) {}
  async probe(request: ProbeRequest): Promise<Attempt> {
    this.calls.push({ runId: request.runId, at: this.clock.now() - T0 });
    return { type: 'response', status: 503, headers: {}, timings: { dns: 0, connect: 0, tls: 0, firstByte: 0, total: 1 } };
  }
  async close(): Promise<void> {}
}

/** A job checked every 5 s, in a window open from 12:00:20 for 20 s. */
const inWindow = (name: string, checks: MaintenanceChecks): Job => ({
  ...job({ name, every: '5s', url: `http://${name}.test/`, circuitBreaker: false, retry: { maxAttempts: 1 } }),
  maintenance: [{ name: 'deploy', schedule: cron('20 0 12 * * *'), durationMs: 20_000, checks, jobs: [name] }],
});

describe('maintenance windows through the dispatcher (fake clock)', () => {
  it.each([
    { checks: 'pause' as const, requested: [0, 5, 10, 15, 40, 45, 50, 55], windowStatus: 'skipped', windowError: 'maintenance' },
    { checks: 'run' as const, requested: [0, 5, 10, 15, 20, 25, 30, 35, 40, 45, 50, 55], windowStatus: 'down', windowError: 'conditions' },
  ])('checks: $checks', async ({ checks, requested, windowStatus, windowError }) => {
    const clock = new FakeClock(T0);
    const store = new MemoryStore();
    const prober = new DownProber(clock);
    const telemetry = new RecordingTelemetry();
    const logger = new MemoryLogger();
    const runner = new CheckRunner({ prober, clock, store, telemetry, logger, bulkhead: bulkhead(8, 100), location: 'test' });
    const jobs = [inWindow('api', checks)];
    const catalog: JobCatalog = { list: async () => jobs, get: async (n) => jobs.find((j) => j.name === n) };
    const dispatcher = new Dispatcher({ catalog, store, clock, runner, logger, tickSchedule: cron('*/10 * * * * *') });
    const healthAt: Record<number, string | undefined> = {};
    for (let elapsed = 0; elapsed < 60; elapsed += 10) {
      const tick = dispatcher.tick();
      await clock.advance(10_000);
      await tick;
      healthAt[elapsed + 10] = (await store.loadState('api'))?.health;
    }

    expect(prober.calls.map((c) => c.at / 1_000)).toEqual(requested);
    const runs = telemetry.runs.map((r) => ({ s: (Date.parse(r.scheduledAt) - T0) / 1_000, status: r.status, kind: r.error?.kind, maintenance: r.maintenance === true }));
    for (const r of runs) {
      const open = r.s >= 20 && r.s < 40;
      expect(r, `run at ${r.s}s`).toEqual({ s: r.s, status: open ? windowStatus : 'down', kind: open ? windowError : 'conditions', maintenance: open });
    }
    // The job is MAINTENANCE while in the window, DOWN again after it, and its failures did not count in the window.
    expect([healthAt[20], healthAt[30], healthAt[40], healthAt[50]]).toEqual(['DOWN', 'MAINTENANCE', 'MAINTENANCE', 'DOWN']);
    expect(telemetry.health.map((e) => `${e.from}→${e.to}`)).toEqual(['UNKNOWN→DOWN', 'DOWN→MAINTENANCE', 'MAINTENANCE→DOWN']);
    expect((await store.loadState('api'))?.consecutiveFailures).toBe(runs.filter((r) => !r.maintenance).length);
  });

  it('a manual run in a paused window still runs, marked', async () => {
    const clock = new FakeClock(T0 + 25_000);
    const prober = new DownProber(clock);
    const runner = new CheckRunner({ prober, clock, store: new MemoryStore(), telemetry: new RecordingTelemetry(), logger: new MemoryLogger(), bulkhead: bulkhead(8, 100), location: 'test' });
    const run = await runner.run(inWindow('api', 'pause'), { runId: 'api@manual', trigger: 'manual', scheduledAt: clock.now() });
    expect(run).toMatchObject({ status: 'down', maintenance: true, attempts: 1 });
  });
});
