import { bulkhead } from 'cockatiel';
import { describe, expect, it } from 'vitest';
import { MemoryStore } from '../../../src/adapters/memory-store/memoryStore.js';
import { CheckRunner } from '../../../src/app/checkRunner.js';
import { Dispatcher } from '../../../src/app/dispatcher.js';
import type { JobCatalog, Prober, ProbeRequest, QueuedOccurrence } from '../../../src/app/ports/index.js';
import type { Job } from '../../../src/domain/job.js';
import type { Attempt } from '../../../src/domain/outcome.js';
import { compileCron } from '../../../src/domain/schedule.js';
import { FakeClock, MemoryLogger, RecordingTelemetry } from '../../support/fakes.js';
import { job } from '../../support/jobs.js';

/** Answers 200 at once and notes the fake-clock instant of every request. */
class InstantProber implements Prober {
  readonly calls: Array<{ runId: string; at: number }> = [];
  constructor(private readonly clock: FakeClock) {}
  async probe(request: ProbeRequest, signal?: AbortSignal): Promise<Attempt> {
    this.calls.push({ runId: request.runId, at: this.clock.now() });
    // A target that never answers: the attempt ends only when aborted.
    if (request.url.includes('hang')) {
      await new Promise((resolve) => signal?.addEventListener('abort', resolve));
      return { type: 'failure', kind: 'timeout', message: 'aborted', timings: { dns: 0, connect: 0, tls: 0, firstByte: 0, total: 0 } };
    }
    return { type: 'response', status: 200, headers: {}, timings: { dns: 0, connect: 0, tls: 0, firstByte: 0, total: 0 } };
  }
  async close(): Promise<void> {}
}

const catalogOf = (jobs: Job[]): JobCatalog => ({
  list: async () => jobs,
  get: async (name) => jobs.find((j) => j.name === name),
});

const T0 = Date.parse('2026-11-23T12:00:00.000Z');

function setup(jobs: Job[], store = new MemoryStore(), start = T0) {
  const clock = new FakeClock(start);
  const prober = new InstantProber(clock);
  const telemetry = new RecordingTelemetry();
  const logger = new MemoryLogger();
  const runner = new CheckRunner({ prober, clock, store, telemetry, logger, bulkhead: bulkhead(64, 1_000), location: 'test' });
  const tickSchedule = compileCron('*/10 * * * * *', 'UTC');
  if (typeof tickSchedule === 'string') throw new Error(tickSchedule);
  const dispatcher = new Dispatcher({ catalog: catalogOf(jobs), store, clock, runner, logger, tickSchedule });
  /** Fires ticks like the timer does, every 10 s, for `seconds`. */
  const runFor = async (seconds: number) => {
    for (let elapsed = 0; elapsed < seconds; elapsed += 10) {
      const tick = dispatcher.tick();
      await clock.advance(10_000);
      await tick;
    }
  };
  return { clock, prober, telemetry, dispatcher, runFor, store };
}

describe('Dispatcher with a fake clock', () => {
  it('starts each run at its own scheduled instant, not at the tick', async () => {
    const { prober, runFor } = setup([job({ name: 'a', every: '3s', url: 'http://a.test/' })]);
    await runFor(30);
    const instants = prober.calls.map((c) => (c.at - T0) / 1_000);
    // The first tick (12:00:00) starts 12:00:00 at once (it is due), then 3, 6, 9, … at their instants
    expect(instants).toEqual([0, 3, 6, 9, 12, 15, 18, 21, 24, 27]);
    expect(new Set(prober.calls.map((c) => c.runId)).size).toBe(prober.calls.length);
  });

  it('runs a cron job at its instants in its time zone, across a DST change, with no duplicate', async () => {
    // Amsterdam falls back at 01:00Z on 2026-10-25: 02:30 local happens twice, and runs once.
    const start = Date.parse('2026-10-24T23:59:50.000Z');
    const { prober, runFor } = setup(
      [job({ name: 'ams', schedule: '0 30 2 * * *', timezone: 'Europe/Amsterdam', url: 'http://a.test/' })],
      new MemoryStore(),
      start,
    );
    await runFor(3 * 3_600);
    expect(prober.calls.map((c) => new Date(c.at).toISOString())).toEqual(['2026-10-25T00:30:00.000Z']);
  });

  it('never runs an occurrence twice, even when ticks overlap', async () => {
    const { clock, prober, dispatcher } = setup([job({ name: 'a', every: '2s', url: 'http://a.test/' })]);
    const ticks = [dispatcher.tick(), dispatcher.tick(), dispatcher.tick()];
    await clock.advance(10_000);
    await Promise.all(ticks);
    expect(prober.calls.map((c) => (c.at - T0) / 1_000)).toEqual([0, 2, 4, 6, 8]);
  });

  it('after downtime, runs one catch-up per job and then resumes the schedule', async () => {
    const store = new MemoryStore();
    const jobs = [job({ name: 'a', every: '5s', url: 'http://a.test/' }), job({ name: 'b', schedule: '0 * * * * *', url: 'http://b.test/' })];
    const before = setup(jobs, store);
    await before.runFor(20);
    const runsBefore = before.prober.calls.length;

    // The app is down for an hour; a new instance starts with the same store.
    const after = setup(jobs, store, T0 + 20_000 + 3_600_000);
    const tick = after.dispatcher.tick();
    await after.clock.advance(10_000);
    await tick;
    const catchUps = after.telemetry.runs.filter((r) => r.catchUp);
    expect(catchUps.map((r) => r.job).sort()).toEqual(['a', 'b']);
    expect(catchUps.find((r) => r.job === 'a')?.scheduledAt).toBe(new Date(T0 + 20_000 + 3_600_000).toISOString());
    expect(catchUps.find((r) => r.job === 'b')?.scheduledAt).toBe('2026-11-23T13:00:00.000Z');
    expect(after.prober.calls).toHaveLength(2 + 1); // the catch-ups, then a at +5 s
    expect(runsBefore).toBeGreaterThan(0);
  });

  it('does not call a run on the tick instant a catch-up when the timer fires a little late', async () => {
    // As the real timer does: every tick fires some milliseconds after its boundary.
    const jobs = [job({ name: 'a', every: '10s', url: 'http://a.test/' }), job({ name: 'b', schedule: '0 * * * * *', url: 'http://b.test/' })];
    const { clock, telemetry, dispatcher } = setup(jobs, new MemoryStore(), T0 + 7);
    for (let k = 0; k < 12; k++) {
      const tick = dispatcher.tick();
      await clock.advance(10_000);
      await tick;
    }
    expect(telemetry.runs.map((r) => r.job).sort()).toEqual([...Array<string>(12).fill('a'), 'b', 'b']);
    expect(telemetry.runs.filter((r) => r.catchUp)).toEqual([]);
  });

  it('hands unstarted occurrences back on shutdown so they are caught up, not lost', async () => {
    const store = new MemoryStore();
    const jobs = [job({ name: 'a', every: '4s', url: 'http://a.test/' })];
    const first = setup(jobs, store);
    const stop = new AbortController();
    const tick = first.dispatcher.tick({ stop: stop.signal });
    await first.clock.advance(1_000); // 12:00:00 ran; 12:00:04 and 12:00:08 are planned
    stop.abort();
    await tick;
    expect(first.prober.calls).toHaveLength(1);
    expect((await store.loadCursors()).a).toBe(T0 + 4_000 - 1);

    const second = setup(jobs, store, T0 + 9_000);
    const next = second.dispatcher.tick();
    await second.clock.advance(1_000);
    await next;
    expect(second.telemetry.runs.map((r) => [r.scheduledAt, r.catchUp ?? false])).toEqual([
      ['2026-11-23T12:00:08.000Z', true],
    ]);
  });

  it('skips disabled jobs', async () => {
    const { prober, runFor } = setup([job({ name: 'off', every: '1s', enabled: false, url: 'http://a.test/' })]);
    await runFor(20);
    expect(prober.calls).toHaveLength(0);
  });

  it('plans 1 000 jobs due on the same boundary exactly once each', async () => {
    const jobs = Array.from({ length: 1_000 }, (_, i) => job({ name: `j${i}`, every: '10s', url: 'http://a.test/' }));
    const { prober, runFor } = setup(jobs);
    await runFor(60);
    const perJob = new Map<string, number>();
    for (const call of prober.calls) perJob.set(call.runId.split('@')[0] ?? '', (perJob.get(call.runId.split('@')[0] ?? '') ?? 0) + 1);
    expect(perJob.size).toBe(1_000);
    expect([...perJob.values()].every((n) => n === 6)).toBe(true);
    expect(new Set(prober.calls.map((c) => c.runId)).size).toBe(6_000);
  });

  it('ends each tick at its horizon while a check hangs: the other job runs on time, the hanging one is skipped as overlap', async () => {
    const jobs = [job({ name: 'ok', every: '2s', url: 'http://a.test/' }), job({ name: 'stuck', every: '5s', url: 'http://hang.test/' })];
    const { clock, prober, telemetry, dispatcher } = setup(jobs);
    const reports = [];
    for (let k = 0; k < 3; k++) {
      const tick = dispatcher.tick();
      await clock.advance(10_000);
      reports.push(await tick);
    }
    const okAt = prober.calls.filter((c) => c.runId.startsWith('ok@')).map((c) => (c.at - T0) / 1_000);
    expect(okAt).toEqual([0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28]);
    expect(reports.map((r) => r.running)).toEqual([1, 0, 0]);
    expect(telemetry.runs.filter((r) => r.job === 'stuck').map((r) => r.error?.kind)).toEqual(['overlap', 'overlap', 'overlap', 'overlap', 'overlap']);
    expect(dispatcher.longRunning()).toEqual([{ job: 'stuck', runId: 'stuck@2026-11-23T12:00:00.000Z', runningMs: 30_000 }]);
  });

  it('catches up once an occurrence whose process died before recording it, under its own run id', async () => {
    const store = new MemoryStore();
    const dead = setup([job({ name: 'slow', every: '1m', url: 'http://hang.test/' })], store);
    void dead.dispatcher.tick(); // starts slow@12:00:00, which never ends: the process "dies" with it
    await dead.clock.advance(2_000);
    expect((await store.loadCursors()).slow).toEqual({ plannedUntil: T0 + 10_000 - 1, started: [T0] });

    const next = setup([job({ name: 'slow', every: '1m', url: 'http://a.test/' })], store, T0 + 12_000);
    for (let k = 0; k < 2; k++) {
      const tick = next.dispatcher.tick();
      await next.clock.advance(10_000);
      await tick;
    }
    expect(next.telemetry.runs.map((r) => [r.runId, r.catchUp])).toEqual([['slow@2026-11-23T12:00:00.000Z', true]]);
    expect((await store.listRuns('slow', { limit: 10 })).map((r) => r.runId)).toEqual(['slow@2026-11-23T12:00:00.000Z']);
    expect((await store.loadCursors()).slow).toBe(T0 + 30_000 - 1);
  });

  it('does not run again an occurrence whose run was recorded before its process died', async () => {
    const store = new MemoryStore();
    const first = setup([job({ name: 'a', every: '1m', url: 'http://a.test/' })], store);
    const tick = first.dispatcher.tick();
    await first.clock.advance(10_000);
    await tick;
    // The process died between recording the run and saving that it ended.
    await store.saveCursors({ a: { plannedUntil: T0 + 10_000 - 1, started: [T0] } });

    const next = setup([job({ name: 'a', every: '1m', url: 'http://a.test/' })], store, T0 + 12_000);
    const again = next.dispatcher.tick();
    await next.clock.advance(10_000);
    await again;
    expect(next.prober.calls).toEqual([]);
    expect((await store.listRuns('a', { limit: 10 })).map((r) => r.runId)).toEqual(['a@2026-11-23T12:00:00.000Z']);
  });
});

describe('Dispatcher in queue mode', () => {
  it('queues each occurrence a tick ahead, visible 2 s before its instant, once', async () => {
    const clock = new FakeClock(T0);
    const store = new MemoryStore();
    const logger = new MemoryLogger();
    const runner = new CheckRunner({ prober: new InstantProber(clock), clock, store, telemetry: new RecordingTelemetry(), logger, bulkhead: bulkhead(64, 1_000), location: 'test' });
    const tickSchedule = compileCron('*/10 * * * * *', 'UTC');
    if (typeof tickSchedule === 'string') throw new Error(tickSchedule);
    const queued: Array<{ tick: number; at: number; delaySeconds: number; catchUp: boolean }> = [];
    const queue = {
      enqueue: async (occurrences: readonly QueuedOccurrence[]) => {
        for (const { message, delaySeconds } of occurrences) queued.push({ tick: (clock.now() - T0) / 1_000, at: (Date.parse(message.scheduledAt) - T0) / 1_000, delaySeconds, catchUp: message.catchUp === true });
        return { sent: occurrences.length };
      },
    };
    // On the tick's own boundaries, as a job every minute at second 0 is.
    const dispatcher = new Dispatcher({ catalog: catalogOf([job({ name: 'a', every: '10s', url: 'http://a.test/' })]), store, clock, runner, logger, tickSchedule, queue });
    for (let tick = 0; tick < 3; tick++) {
      await dispatcher.tick();
      await clock.advance(10_000);
    }
    expect(queued).toEqual([
      // The first tick: the occurrence due now (at once), and the next tick's, a tick ahead.
      { tick: 0, at: 0, delaySeconds: 0, catchUp: false },
      { tick: 0, at: 10, delaySeconds: 8, catchUp: false },
      { tick: 10, at: 20, delaySeconds: 8, catchUp: false },
      { tick: 20, at: 30, delaySeconds: 8, catchUp: false },
    ]);
  });
});
