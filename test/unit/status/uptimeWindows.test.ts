import { describe, expect, it } from 'vitest';
import { MemoryStore } from '../../../src/adapters/memory-store/memoryStore.js';
import { RollupRecorder } from '../../../src/app/rollups.js';
import { Uptime, type JobUptime, type UptimeWindow } from '../../../src/app/uptime.js';
import type { Run } from '../../../src/domain/run.js';
import { FakeClock, MemoryLogger } from '../../support/fakes.js';
import { job } from '../../support/jobs.js';

const H = 3_600_000;
const M = 60_000;

/** A run as the table writes it: where, how it ended, when it was scheduled, in maintenance or not. */
type RunRow = readonly [location: string, status: Run['status'], at: string, maintenance?: 'maintenance'];

function runOf([location, status, at, maintenance]: RunRow): Run {
  return {
    runId: `${location}@${at}`,
    job: 'shop',
    trigger: 'schedule',
    scheduledAt: new Date(at).toISOString(),
    startedAt: new Date(at).toISOString(),
    durationMs: 50,
    attempts: 1,
    status,
    success: status === 'up' || status === 'degraded',
    httpStatus: status === 'down' ? 503 : 200,
    conditions: [],
    ...(status === 'skipped' ? {} : { timings: { dns: 0, connect: 1, tls: 0, firstByte: 30, total: 40 } }),
    location,
    ...(maintenance ? { maintenance: true } : {}),
  };
}

/**
 * Runs recorded (in time order, as the recorder sees them) into the rollups, then read back by
 * `Uptime` at `now` on a fake clock, in the status time zone `zone`.
 */
async function world(zone: string, now: string, runs: readonly RunRow[]): Promise<Uptime> {
  const store = new MemoryStore();
  const recorder = new RollupRecorder({ store, timeZone: zone, logger: new MemoryLogger() });
  for (const row of [...runs].sort((a, b) => Date.parse(a[2]) - Date.parse(b[2]))) await recorder.record(runOf(row));
  const jobs = [job({ name: 'shop', url: 'https://shop.example.com' })];
  const catalog = { list: async () => jobs, get: async (name: string) => jobs.find((j) => j.name === name) };
  return new Uptime({ store, catalog, clock: new FakeClock(Date.parse(now)), timeZone: zone });
}

interface Scenario {
  readonly what: string;
  readonly zone: string;
  readonly now: string;
  readonly runs: readonly RunRow[];
  readonly query: { readonly window: UptimeWindow } | { readonly from: string; readonly to: string };
  readonly expected: Partial<JobUptime>;
}

/**
 * The SLA arithmetic end to end on a fake clock (issue 16): recorder → rollups → window → figures.
 * Uptime = good (up + degraded) ÷ (good + bad), maintenance and no data apart (docs/status-page.md, SLA).
 */
const SCENARIOS: Scenario[] = [
  {
    what: 'several locations add up, and an incident at one of them lasts until its next good run',
    zone: 'Europe/Berlin',
    now: '2026-05-10T12:30:00Z',
    runs: [
      ['westeurope', 'up', '2026-05-10T11:00:00Z'],
      ['westeurope', 'up', '2026-05-10T12:00:00Z'],
      ['eastus', 'down', '2026-05-10T11:30:00Z'],
      ['eastus', 'up', '2026-05-10T12:10:00Z'],
    ],
    query: { window: '1d' },
    expected: { window: '1d', bucket: 'hour', from: '2026-05-09T13:00:00.000Z', to: '2026-05-10T12:30:00.000Z', up: 3, down: 1, uptimePct: 75, incidents: 1, incidentMs: 40 * M },
  },
  {
    what: 'degraded is good; maintenance (whatever its status) and skipped runs are left out',
    zone: 'Europe/Berlin',
    now: '2026-05-10T12:30:00Z',
    runs: [
      ['westeurope', 'down', '2026-05-05T10:00:00Z'],
      ['westeurope', 'up', '2026-05-08T10:00:00Z'],
      ['westeurope', 'degraded', '2026-05-09T10:00:00Z'],
      ['westeurope', 'down', '2026-05-09T11:00:00Z', 'maintenance'],
      ['westeurope', 'skipped', '2026-05-09T12:00:00Z'],
    ],
    query: { window: '7d' },
    // 2 good of 3: 66.666… shown as 66.666, never rounded up. The incident's 3-day gap counts 6 hours.
    expected: { bucket: 'hour', from: '2026-05-03T13:00:00.000Z', up: 1, degraded: 1, down: 1, maintenance: 1, uptimePct: 66.666, incidents: 1, incidentMs: 6 * H },
  },
  {
    what: 'a maintenance-only hour is not "no data" but has no uptime; the current hour counts up to now',
    zone: 'UTC',
    now: '2026-05-10T12:30:00Z',
    runs: [['westeurope', 'down', '2026-05-10T10:00:00Z', 'maintenance']],
    query: { window: '1d' },
    expected: { up: 0, down: 0, maintenance: 1, uptimePct: null, p50Ms: null, noDataMs: 22 * H + 30 * M },
  },
  {
    what: '1d edges: the oldest hour is in, the hour before it is out',
    zone: 'UTC',
    now: '2026-05-10T12:30:00Z',
    runs: [
      ['westeurope', 'down', '2026-05-09T12:59:59.999Z'],
      ['westeurope', 'up', '2026-05-09T13:00:00.000Z'],
      ['westeurope', 'up', '2026-05-10T12:29:00.000Z'],
    ],
    query: { window: '1d' },
    // The incident began outside the window: only its part inside (1 ms) counts.
    expected: { up: 2, down: 0, uptimePct: 100, incidents: 0, incidentMs: 1 },
  },
  {
    what: 'no run at all: no uptime, the whole 30 days no data, the 23-hour DST day as 23 hours, today up to now',
    zone: 'Europe/Berlin',
    now: '2026-03-30T12:00:00Z',
    runs: [],
    query: { window: '30d' },
    // 1 to 30 March (Berlin): 28 days of 24 h, 29 March of 23 h, 30 March from 22:00Z to 12:00Z.
    expected: { bucket: 'day', from: '2026-02-28T23:00:00.000Z', uptimePct: null, p95Ms: null, noDataMs: 28 * 24 * H + 23 * H + 14 * H },
  },
  {
    what: '30d edges in a DST month: local midnight of the first day is in, the instant before it out',
    zone: 'Europe/Berlin',
    now: '2026-03-29T12:00:00Z',
    runs: [
      ['westeurope', 'down', '2026-02-27T22:59:59.999Z'],
      ['westeurope', 'up', '2026-02-27T23:00:00.000Z'],
      ['westeurope', 'up', '2026-03-29T01:30:00.000Z'],
    ],
    query: { window: '30d' },
    // 28 February to 29 March; 1 to 28 March have no data.
    expected: { from: '2026-02-27T23:00:00.000Z', to: '2026-03-29T12:00:00.000Z', up: 2, down: 0, uptimePct: 100, noDataMs: 28 * 24 * H },
  },
  {
    what: '90d: days of the zone from local midnight 89 days ago (summer time), the autumn 25-hour day among them',
    zone: 'Europe/Berlin',
    now: '2026-10-26T10:00:00Z',
    runs: [
      ['westeurope', 'down', '2026-07-28T21:59:59Z'],
      ['westeurope', 'up', '2026-07-28T22:00:00Z'],
      ['westeurope', 'up', '2026-10-25T22:59:59Z'],
      ['eastus', 'degraded', '2026-10-24T22:00:00Z'],
    ],
    query: { window: '90d' },
    // 29 July to 26 October: the down run, a second before 29 July, is out.
    expected: { bucket: 'day', from: '2026-07-28T22:00:00.000Z', up: 2, degraded: 1, down: 0, uptimePct: 100 },
  },
  {
    what: 'from and to up to 7 days apart: the hours holding them, `to` exclusive',
    zone: 'UTC',
    now: '2026-05-10T12:30:00Z',
    runs: [
      ['westeurope', 'up', '2026-05-10T08:59:59Z'],
      ['westeurope', 'up', '2026-05-10T09:00:00Z'],
      ['westeurope', 'down', '2026-05-10T10:59:59Z'],
      ['eastus', 'up', '2026-05-10T11:00:00Z'],
    ],
    query: { from: '2026-05-10T09:15:00Z', to: '2026-05-10T11:00:00Z' },
    expected: { window: null, bucket: 'hour', from: '2026-05-10T09:00:00.000Z', to: '2026-05-10T11:00:00.000Z', up: 1, down: 1, uptimePct: 50, noDataMs: 0 },
  },
  {
    what: 'from and to farther apart: whole days of the zone, the 23-hour day as 23 hours of no data',
    zone: 'Europe/Berlin',
    now: '2026-05-10T12:30:00Z',
    runs: [['westeurope', 'up', '2026-03-28T12:00:00Z']],
    query: { from: '2026-03-20T12:00:00Z', to: '2026-03-30T00:00:00Z' },
    // 20 to 27 March (8 × 24 h), 29 March (23 h), 30 March up to `to` (2 h); 28 March has a run.
    expected: { bucket: 'day', from: '2026-03-19T23:00:00.000Z', to: '2026-03-30T00:00:00.000Z', up: 1, uptimePct: 100, noDataMs: 8 * 24 * H + 23 * H + 2 * H },
  },
];

describe('SLA windows on a fake clock: rollups of recorded runs, read back as figures', () => {
  it.each(SCENARIOS)('$what', async ({ zone, now, runs, query, expected }) => {
    const uptime = await world(zone, now, runs);
    const [figures] = 'window' in query ? await uptime.sla({ job: 'shop', window: query.window }) : await uptime.sla({ job: 'shop', from: Date.parse(query.from), to: Date.parse(query.to) });
    expect(figures).toMatchObject({ job: 'shop', ...expected });
  });
});

describe('daily bars on DST days: which calendar day a run counts on, and how long that day is', () => {
  it.each([
    { zone: 'Europe/Berlin', now: '2026-03-30T12:00:00Z', at: '2026-03-28T23:00:00Z', date: '2026-03-29', hours: 23 },
    { zone: 'Europe/Berlin', now: '2026-03-30T12:00:00Z', at: '2026-03-29T21:59:59Z', date: '2026-03-29', hours: 23 },
    { zone: 'Europe/Berlin', now: '2026-03-30T12:00:00Z', at: '2026-03-29T22:00:00Z', date: '2026-03-30', hours: 24 },
    { zone: 'Europe/Berlin', now: '2026-03-30T12:00:00Z', at: '2026-03-28T22:59:59Z', date: '2026-03-28', hours: 24 },
    { zone: 'Europe/Berlin', now: '2026-10-26T12:00:00Z', at: '2026-10-25T00:30:00Z', date: '2026-10-25', hours: 25 },
    { zone: 'Europe/Berlin', now: '2026-10-26T12:00:00Z', at: '2026-10-25T22:59:59Z', date: '2026-10-25', hours: 25 },
    { zone: 'America/New_York', now: '2026-03-09T12:00:00Z', at: '2026-03-08T04:59:59Z', date: '2026-03-07', hours: 24 },
    { zone: 'America/New_York', now: '2026-03-09T12:00:00Z', at: '2026-03-08T05:00:00Z', date: '2026-03-08', hours: 23 },
    { zone: 'UTC', now: '2026-03-30T12:00:00Z', at: '2026-03-29T00:00:00Z', date: '2026-03-29', hours: 24 },
  ])('$zone: a run at $at counts on $date, a day of $hours hours', async ({ zone, now, at, date, hours }) => {
    const uptime = await world(zone, now, [['westeurope', 'up', at]]);
    const days = await uptime.dailySeries('shop', 4);
    expect(days.map((d) => d.date)).toContain(date);
    const day = days.find((d) => d.date === date);
    expect(day).toMatchObject({ up: 1, uptimePct: 100, noData: false });
    expect((Date.parse(day?.end as string) - Date.parse(day?.start as string)) / H).toBe(hours);
    expect(days.filter((d) => d.date !== date).every((d) => d.noData && d.up === 0)).toBe(true);
  });
});
