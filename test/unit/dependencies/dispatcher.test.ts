import { bulkhead } from 'cockatiel';
import { describe, expect, it } from 'vitest';
import { MemoryStore } from '../../../src/adapters/memory-store/memoryStore.js';
import { CheckRunner } from '../../../src/app/checkRunner.js';
import { Dispatcher } from '../../../src/app/dispatcher.js';
import type { JobState } from '../../../src/domain/state.js';
import type { JobCatalog, Prober, ProbeRequest } from '../../../src/app/ports/index.js';
import type { Job } from '../../../src/domain/job.js';
import type { Attempt } from '../../../src/domain/outcome.js';
import { compileCron } from '../../../src/domain/schedule.js';
import { FakeClock, MemoryLogger, RecordingTelemetry } from '../../support/fakes.js';
import { job } from '../../support/jobs.js';

/** Answers each URL with the status its host's entry in `status` says (200 by default). */
class StatusProber implements Prober {
  readonly status = new Map<string, number>();
  readonly calls: string[] = [];
  async probe(request: ProbeRequest): Promise<Attempt> {
    const host = new URL(request.url).hostname.replace('.test', '');
    this.calls.push(host);
    return { type: 'response', status: this.status.get(host) ?? 200, headers: {}, timings: { dns: 0, connect: 0, tls: 0, firstByte: 0, total: 0 } };
  }
  async close(): Promise<void> {}
}

/** The memory store, counting reads of every job's state. */
class CountingStore extends MemoryStore {
  loads = 0;
  override async loadStates(): Promise<ReadonlyMap<string, JobState>> {
    this.loads++;
    return super.loadStates();
  }
}

const T0 = Date.parse('2026-11-23T12:00:00.000Z');
const once = { retry: { maxAttempts: 1, initialDelayMs: 0, maxDelayMs: 0 }, circuitBreaker: false as const };

function setup(jobs: Job[]) {
  const clock = new FakeClock(T0);
  const store = new CountingStore();
  const prober = new StatusProber();
  const telemetry = new RecordingTelemetry();
  const runner = new CheckRunner({ prober, clock, store, telemetry, logger: new MemoryLogger(), bulkhead: bulkhead(64, 1_000), location: 'test' });
  const catalog: JobCatalog = { list: async () => jobs, get: async (name) => jobs.find((j) => j.name === name) };
  const tickSchedule = compileCron('*/10 * * * * *', 'UTC');
  if (typeof tickSchedule === 'string') throw new Error(tickSchedule);
  const dispatcher = new Dispatcher({ catalog, store, clock, runner, logger: new MemoryLogger(), tickSchedule });
  const tick = async () => {
    const done = dispatcher.tick();
    await clock.advance(10_000);
    await done;
  };
  return { store, prober, telemetry, tick };
}

describe('the dispatcher and dependsOn', () => {
  const jobs = [
    job({ name: 'db', url: 'http://db.test/', every: '5s', ...once }),
    ...['a', 'b', 'c'].map((name) => job({ name, url: `http://${name}.test/`, every: '5s', dependsOn: ['db'], ...once })),
    job({ name: 'free', url: 'http://free.test/', every: '5s', ...once }),
  ];

  it('reads the states once per instant that starts dependents, never per check', async () => {
    const { store, tick } = setup(jobs);
    await tick(); // instants 0 s and 5 s, three dependents each
    expect(store.loads).toBe(2);
  });

  it('skips the dependents (not their target) from the first instant after the upstream job is down, and runs them once it is up', async () => {
    const { prober, telemetry, tick } = setup(jobs);
    prober.status.set('db', 503);
    await tick(); // 0 s: db fails (the dependents see its state before: none, and run); 5 s: they are skipped
    const at5 = telemetry.runs.filter((run) => run.scheduledAt === '2026-11-23T12:00:05.000Z');
    expect(at5.filter((run) => ['a', 'b', 'c'].includes(run.job)).map((run) => [run.job, run.status, run.error?.kind])).toEqual([
      ['a', 'skipped', 'upstream-down'],
      ['b', 'skipped', 'upstream-down'],
      ['c', 'skipped', 'upstream-down'],
    ]);
    expect(at5.find((run) => run.job === 'free')?.status).toBe('up');
    expect(prober.calls.filter((host) => host === 'a')).toHaveLength(1);

    prober.status.set('db', 200);
    await tick(); // 10 s: db runs at the same instant as they do (they may see it either way); 15 s: they run
    const runsOfA = telemetry.runs.filter((run) => run.job === 'a' && !run.scheduledAt.includes(':10.')).map((run) => [run.scheduledAt.slice(17, 19), run.status]);
    expect(runsOfA).toEqual([['00', 'up'], ['05', 'skipped'], ['15', 'up']]);
  });
});
