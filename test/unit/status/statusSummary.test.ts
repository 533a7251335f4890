import { beforeEach, describe, expect, it } from 'vitest';
import { MemoryStore } from '../../../src/adapters/memory-store/memoryStore.js';
import { RollupRecorder } from '../../../src/app/rollups.js';
import { StatusSummary, type StatusAudience, type StatusSummaryView } from '../../../src/app/statusSummary.js';
import { Uptime } from '../../../src/app/uptime.js';
import type { Job } from '../../../src/domain/job.js';
import type { MaintenanceWindow } from '../../../src/domain/maintenance.js';
import { compileCron } from '../../../src/domain/schedule.js';
import type { Run } from '../../../src/domain/run.js';
import { INITIAL_STATE, decideState, type JobState } from '../../../src/domain/state.js';
import { FakeClock, MemoryLogger } from '../../support/fakes.js';
import { job } from '../../support/jobs.js';

const NOW = Date.parse('2026-05-10T12:00:00.000Z');
const H = 3_600_000;
const D = 24 * H;

const EVERYONE: StatusAudience = { key: 'private', shows: () => true, detail: true };
const PUBLIC: StatusAudience = { key: 'public', shows: (j) => j.tags.public === 'true', detail: false };

describe('StatusSummary: the status page data from rollups, states and recent runs (fake clock)', () => {
  let clock: FakeClock;
  let store: MemoryStore;
  let rollups: RollupRecorder;
  let jobs: Job[];
  let summary: StatusSummary;
  const states = new Map<string, JobState>();

  /** Records a run of `name` at `at` (epoch ms) as the check runner would: history, rollups, state. */
  async function record(name: string, status: Run['status'], at: number, extra: Partial<Run> = {}): Promise<void> {
    const iso = new Date(at).toISOString();
    const run: Run = {
      runId: `${name}@${iso}`,
      job: name,
      trigger: 'schedule',
      scheduledAt: iso,
      startedAt: iso,
      durationMs: 40,
      attempts: 1,
      status,
      success: status === 'up',
      httpStatus: status === 'up' ? 200 : 503,
      conditions: [],
      timings: { dns: 0, connect: 1, tls: 0, firstByte: 30, total: 40 },
      location: 'westeurope',
      ...(status === 'down' ? { error: { kind: 'conditions' as const, message: '[STATUS] (503) == 200 at 10.0.0.7' } } : {}),
      ...extra,
    };
    // As the check runner does: the run recorded, then its observers told (here the rollups).
    await store.recordRun(run);
    await rollups.record(run);
    const { next } = decideState(states.get(name) ?? INITIAL_STATE, run);
    states.set(name, next);
    await store.saveState(name, next);
  }

  const build = (audience = EVERYONE): Promise<StatusSummaryView> => summary.build(audience);
  const jobOf = (view: StatusSummaryView, name: string) => view.groups.flatMap((g) => g.jobs).find((j) => j.name === name);

  beforeEach(() => {
    clock = new FakeClock(NOW);
    store = new MemoryStore();
    states.clear();
    rollups = new RollupRecorder({ store, timeZone: 'UTC', logger: new MemoryLogger() });
    jobs = [
      job({ name: 'web', url: 'https://web.example.com', tags: { team: 'Web', public: 'true' } }),
      job({ name: 'api', url: 'https://api.example.com', description: 'The API', tags: { team: 'Core' } }),
      job({ name: 'db', url: 'https://db.example.com', tags: { team: 'Core' } }),
      job({ name: 'batch', url: 'https://batch.example.com' }),
      job({ name: 'old', url: 'https://old.example.com', enabled: false, tags: { team: 'Web' } }),
    ];
    const catalog = { list: async () => jobs, get: async (name: string) => jobs.find((j) => j.name.toLowerCase() === name.toLowerCase()) };
    const uptime = new Uptime({ store, catalog, clock, timeZone: 'UTC' });
    summary = new StatusSummary({ catalog, store, uptime, clock, groupBy: 'team', cacheMs: 5_000 });
  });

  it('groups the jobs by the tag, groups and jobs by name, the jobs without it last', async () => {
    const view = await build();
    expect(view.groups.map((g) => [g.name, g.jobs.map((j) => j.name)])).toEqual([
      ['Core', ['api', 'db']],
      ['Web', ['old', 'web']],
      [null, ['batch']],
    ]);
    expect(view).toMatchObject({ generatedAt: new Date(NOW).toISOString(), timeZone: 'UTC', groupBy: 'team', refreshSeconds: 15 });
    expect(jobOf(view, 'api')).toMatchObject({ description: 'The API', group: 'Core', state: 'unknown', since: null, lastRun: null });
    expect(jobOf(view, 'old')?.state).toBe('paused');
  });

  it('shows a public audience only the public jobs, and no run messages', async () => {
    await record('web', 'down', NOW - 10 * 60_000);
    const view = await build(PUBLIC);
    expect(view.groups.map((g) => [g.name, g.jobs.map((j) => j.name)])).toEqual([['Web', ['web']]]);
    expect(jobOf(view, 'web')?.incidents[0]?.reason).toBe('conditions failed (HTTP 503)');
    expect(jobOf(await build(), 'web')?.incidents[0]?.reason).toBe('conditions failed (HTTP 503): [STATUS] (503) == 200 at 10.0.0.7');
  });

  it('has 90 daily bars, today last, with counts, maintenance and no-data days', async () => {
    await record('api', 'up', NOW - H);
    await record('api', 'down', NOW - 30 * 60_000);
    await record('api', 'up', NOW - D);
    await record('api', 'down', NOW - 2 * D, { maintenance: true });
    const { days } = jobOf(await build(), 'api') ?? { days: [] };
    expect(days).toHaveLength(90);
    expect(days.at(-1)).toMatchObject({ date: '2026-05-10', up: 1, down: 1, uptimePct: 50, noData: false, incidents: 1 });
    expect(days.at(-2)).toMatchObject({ date: '2026-05-09', up: 1, down: 0, uptimePct: 100 });
    expect(days.at(-3)).toMatchObject({ date: '2026-05-08', maintenance: 1, uptimePct: null, noData: false });
    expect(days.at(-4)).toMatchObject({ date: '2026-05-07', noData: true, uptimePct: null });
    expect(days[0]?.date).toBe('2026-02-10');
  });

  it('gives the uptime of the last 24 hours, 7 days and 30 days', async () => {
    for (let i = 0; i < 3; i++) await record('db', 'up', NOW - i * H);
    await record('db', 'down', NOW - 3 * D);
    await record('db', 'down', NOW - 20 * D);
    await record('db', 'down', NOW - 40 * D);
    expect(jobOf(await build(), 'db')?.uptime).toEqual({ '1d': 100, '7d': 75, '30d': 60 });
    expect(jobOf(await build(), 'batch')?.uptime).toEqual({ '1d': null, '7d': null, '30d': null });
  });

  it('lists response times of recent runs oldest first, and the 24-hour percentiles', async () => {
    await record('web', 'up', NOW - 2 * 60_000, { timings: { dns: 0, connect: 0, tls: 0, firstByte: 10, total: 12.34 } });
    await record('web', 'up', NOW - 60_000);
    await record('web', 'skipped', NOW - 30_000, { timings: undefined as never });
    const { responseTimes } = jobOf(await build(), 'web') ?? { responseTimes: undefined };
    expect(responseTimes?.recent).toEqual([
      [(NOW - 2 * 60_000) / 1_000, 12.3],
      [(NOW - 60_000) / 1_000, 40],
    ]);
    expect(responseTimes?.p50Ms).toBeGreaterThanOrEqual(12.3);
    expect(responseTimes?.p95Ms).toBeGreaterThanOrEqual(40);
  });

  it('shows the current incident with its duration so far, and the state it put the job in', async () => {
    await record('api', 'up', NOW - 20 * 60_000);
    await record('api', 'down', NOW - 15 * 60_000);
    await record('api', 'down', NOW - 10 * 60_000);
    const api = jobOf(await build(), 'api');
    expect(api).toMatchObject({ state: 'down', since: new Date(NOW - 15 * 60_000).toISOString(), lastRun: { status: 'down', httpStatus: 503 } });
    expect(api?.incidents).toEqual([
      { start: new Date(NOW - 15 * 60_000).toISOString(), end: null, durationMs: 15 * 60_000, ongoing: true, failedRuns: 2, reason: expect.stringContaining('conditions failed (HTTP 503)') },
    ]);
    await record('api', 'up', NOW - 5 * 60_000);
    expect(jobOf(await build(), 'api')?.incidents[0]).toMatchObject({ ongoing: false, durationMs: 10 * 60_000, end: new Date(NOW - 5 * 60_000).toISOString() });
  });

  it('serves the same summary for `cacheMs`, then builds it again; each audience its own', async () => {
    const first = await summary.json(EVERYONE);
    await record('batch', 'up', NOW - 60_000);
    await clock.advance(4_999);
    expect(await summary.json(EVERYONE)).toBe(first);
    expect(JSON.parse(await summary.json(PUBLIC)).groups).toHaveLength(1);
    await clock.advance(1);
    const next = JSON.parse(await summary.json(EVERYONE)) as StatusSummaryView;
    expect(jobOf(next, 'batch')?.state).toBe('up');
  });

  it('shares one build between concurrent callers', async () => {
    let lists = 0;
    const catalog = { list: async () => (lists++, jobs), get: async () => undefined };
    const shared = new StatusSummary({ catalog, store, uptime: new Uptime({ store, catalog, clock, timeZone: 'UTC' }), clock });
    const texts = await Promise.all([shared.json(EVERYONE), shared.json(EVERYONE), shared.json(EVERYONE)]);
    expect(new Set(texts).size).toBe(1);
    expect(lists).toBe(1);
  });

  it('lists the maintenance windows the hook gives, and none without one', async () => {
    expect(jobOf(await build(), 'api')?.maintenance).toEqual([]);
    const catalog = { list: async () => jobs, get: async () => undefined };
    const windows = new StatusSummary({
      catalog,
      store,
      uptime: new Uptime({ store, catalog, clock, timeZone: 'UTC' }),
      clock,
      maintenance: (j, now, to) => (j.name === 'api' ? [{ name: 'upgrade', start: new Date(now + H).toISOString(), end: new Date(Math.min(to, now + 2 * H)).toISOString(), checks: 'run' }] : []),
    });
    const view = await windows.build(EVERYONE);
    expect(view.groupBy).toBeNull();
    expect(view.groups.map((g) => g.name)).toEqual([null]);
    expect(jobOf(view, 'api')?.maintenance).toEqual([{ name: 'upgrade', start: new Date(NOW + H).toISOString(), end: new Date(NOW + 2 * H).toISOString(), checks: 'run' }]);
  });

  it("lists by default the job's windows from the jobs file: the open one and those starting within 7 days", async () => {
    const schedule = compileCron('0 0 11 * * Sun', 'UTC'); // Sundays 11:00 UTC; 10 May 2026 is a Sunday
    if (typeof schedule === 'string') throw new Error(schedule);
    const window: MaintenanceWindow = { name: 'sunday-patching', schedule, durationMs: 2 * H, checks: 'pause', jobs: ['db'] };
    jobs = jobs.map((j) => (j.name === 'db' ? { ...j, maintenance: [window] } : j));
    expect(jobOf(await build(), 'db')?.maintenance).toEqual([
      { name: 'sunday-patching', start: '2026-05-10T11:00:00.000Z', end: '2026-05-10T13:00:00.000Z', checks: 'pause' },
      { name: 'sunday-patching', start: '2026-05-17T11:00:00.000Z', end: '2026-05-17T13:00:00.000Z', checks: 'pause' },
    ]);
  });
});
