import { describe, expect, it } from 'vitest';
import { dateStart, dayOf, periodsBetween } from '../../../src/domain/calendar.js';
import { EMPTY_LATENCY, addLatency, bucketUpperMs, latencyQuantile, mergeLatency, parseLatency, latencyText } from '../../../src/domain/latency.js';
import { EMPTY_COUNTS, addRun, bucketsAt, classify, mergeAll, type RollupBucket } from '../../../src/domain/rollup.js';
import { trackIncident } from '../../../src/domain/rollupIncidents.js';
import { uptimePct } from '../../../src/domain/sla.js';
import type { Run } from '../../../src/domain/run.js';

const H = 3_600_000;

describe('classify: how a run counts in a rollup', () => {
  it.each([
    { status: 'up', maintenance: undefined, counts: 'up' },
    { status: 'degraded', maintenance: undefined, counts: 'degraded' },
    { status: 'down', maintenance: undefined, counts: 'down' },
    { status: 'error', maintenance: undefined, counts: 'down' },
    { status: 'skipped', maintenance: undefined, counts: undefined },
    { status: 'skipped', maintenance: true, counts: 'maintenance' },
    { status: 'down', maintenance: true, counts: 'maintenance' },
    { status: 'up', maintenance: false, counts: 'up' },
  ] as const)('$status (maintenance $maintenance) counts as $counts', ({ status, maintenance, counts }) => {
    expect(classify({ status, ...(maintenance === undefined ? {} : { maintenance }) })).toBe(counts);
  });
});

describe('uptimePct: good ÷ (good + bad), rounded down to 3 decimals', () => {
  it.each([
    { good: 0, bad: 0, pct: null },
    { good: 10, bad: 0, pct: 100 },
    { good: 0, bad: 3, pct: 0 },
    { good: 1, bad: 2, pct: 33.333 },
    { good: 2, bad: 1, pct: 66.666 },
    { good: 999_999, bad: 1, pct: 99.999 },
    { good: 9_999_999, bad: 1, pct: 99.999 },
    { good: 1_439, bad: 1, pct: 99.93 },
    { good: 7, bad: 1, pct: 87.5 },
  ])('$good good, $bad bad → $pct', ({ good, bad, pct }) => {
    expect(uptimePct(good, bad)).toBe(pct);
  });
});

describe('latency histogram', () => {
  const of = (times: number[]) => times.reduce(addLatency, EMPTY_LATENCY);
  it.each([
    { times: [], q: 0.5, ms: null },
    { times: [0.3], q: 0.5, ms: 1 },
    { times: [100], q: 0.95, ms: bucketUpperMs(27) },
    { times: [10, 20, 30, 40, 1_000], q: 0.5, ms: bucketUpperMs(20) },
    { times: [10, 20, 30, 40, 1_000], q: 0.95, ms: bucketUpperMs(40) },
    { times: Array.from({ length: 100 }, (_, i) => (i < 95 ? 50 : 5_000)), q: 0.95, ms: bucketUpperMs(23) },
    { times: Array.from({ length: 100 }, (_, i) => (i < 94 ? 50 : 5_000)), q: 0.95, ms: bucketUpperMs(50) },
  ])('quantile $q of $times.length times is $ms ms', ({ times, q, ms }) => {
    expect(latencyQuantile(of(times), q)).toBe(ms);
  });

  it('bounds a percentile within 19 % above the true value', () => {
    for (const ms of [1.5, 7, 42, 99, 250, 1_234, 9_999, 60_000]) {
      const p = latencyQuantile(of([ms]), 0.5) as number;
      expect(p).toBeGreaterThanOrEqual(ms - 0.05);
      expect(p).toBeLessThanOrEqual(ms * 1.19 + 0.1);
    }
  });

  it('merges exactly and survives its text form', () => {
    const a = of([5, 50, 500]);
    const b = of([50, 5_000]);
    const merged = mergeLatency(a, b);
    expect(merged).toEqual(of([5, 50, 500, 50, 5_000]));
    expect(parseLatency(latencyText(merged), merged.sumMs)).toEqual(merged);
  });
});

describe('calendar: days of a time zone, DST included', () => {
  it.each([
    { zone: 'UTC', date: '2026-03-29', start: '2026-03-29T00:00:00.000Z', hours: 24 },
    { zone: 'Europe/Berlin', date: '2026-03-28', start: '2026-03-27T23:00:00.000Z', hours: 24 },
    { zone: 'Europe/Berlin', date: '2026-03-29', start: '2026-03-28T23:00:00.000Z', hours: 23 },
    { zone: 'Europe/Berlin', date: '2026-03-30', start: '2026-03-29T22:00:00.000Z', hours: 24 },
    { zone: 'Europe/Berlin', date: '2026-10-25', start: '2026-10-24T22:00:00.000Z', hours: 25 },
    { zone: 'Europe/Berlin', date: '2026-10-26', start: '2026-10-25T23:00:00.000Z', hours: 24 },
    { zone: 'America/New_York', date: '2026-03-08', start: '2026-03-08T05:00:00.000Z', hours: 23 },
    { zone: 'Asia/Kolkata', date: '2026-06-01', start: '2026-05-31T18:30:00.000Z', hours: 24 },
    // Santiago moves its clocks at midnight: 2026-09-06 starts at 01:00 local.
    { zone: 'America/Santiago', date: '2026-09-06', start: '2026-09-06T04:00:00.000Z', hours: 23 },
  ])('$zone $date starts at $start and lasts $hours h', ({ zone, date, start, hours }) => {
    const at = dateStart(date, zone);
    expect(new Date(at).toISOString()).toBe(start);
    const day = dayOf(at + H, zone);
    expect(day).toEqual({ date, start: at, end: at + hours * H });
    expect(dayOf(day.end - 1, zone).date).toBe(date);
  });

  it('lists the days between two instants, a 23-hour and a 25-hour day among them', () => {
    const days = periodsBetween('day', Date.parse('2026-03-28T12:00:00Z'), Date.parse('2026-03-30T12:00:00Z'), 'Europe/Berlin');
    expect(days.map((d) => (d.end - d.start) / H)).toEqual([24, 23, 24]);
    const autumn = periodsBetween('day', Date.parse('2026-10-25T12:00:00Z'), Date.parse('2026-10-25T13:00:00Z'), 'Europe/Berlin');
    expect(autumn.map((d) => (d.end - d.start) / H)).toEqual([25]);
    expect(periodsBetween('hour', Date.parse('2026-01-01T00:30:00Z'), Date.parse('2026-01-01T03:00:00Z'), 'UTC').length).toBe(3);
  });
});

describe('buckets: edges and merging', () => {
  it.each([
    { at: '2026-03-29T00:59:59.999Z', zone: 'Europe/Berlin', hour: '2026-03-29T00:00:00.000Z', day: '2026-03-28T23:00:00.000Z', dayEnd: '2026-03-29T22:00:00.000Z' },
    { at: '2026-03-29T22:00:00.000Z', zone: 'Europe/Berlin', hour: '2026-03-29T22:00:00.000Z', day: '2026-03-29T22:00:00.000Z', dayEnd: '2026-03-30T22:00:00.000Z' },
    { at: '2026-03-29T21:59:59.999Z', zone: 'Europe/Berlin', hour: '2026-03-29T21:00:00.000Z', day: '2026-03-28T23:00:00.000Z', dayEnd: '2026-03-29T22:00:00.000Z' },
    { at: '2026-10-25T00:30:00.000Z', zone: 'Europe/Berlin', hour: '2026-10-25T00:00:00.000Z', day: '2026-10-24T22:00:00.000Z', dayEnd: '2026-10-25T23:00:00.000Z' },
    { at: '2026-01-01T00:00:00.000Z', zone: 'UTC', hour: '2026-01-01T00:00:00.000Z', day: '2026-01-01T00:00:00.000Z', dayEnd: '2026-01-02T00:00:00.000Z' },
  ])('a run at $at ($zone) is in the hour of $hour and the day from $day', ({ at, zone, hour, day, dayEnd }) => {
    const [h, d] = bucketsAt('j', 'here', Date.parse(at), dayOf(Date.parse(at), zone));
    expect([h.start, h.end, d.start, d.end]).toEqual([hour, new Date(Date.parse(hour) + H).toISOString(), day, dayEnd]);
  });

  it('adds runs by class, response times of judged runs only, and merges partials of several writers', () => {
    const run = (status: Run['status'], total: number, maintenance = false): Pick<Run, 'durationMs' | 'timings' | 'status' | 'maintenance'> => ({
      status,
      durationMs: total + 1,
      timings: { dns: 0, connect: 0, tls: 0, firstByte: total, total },
      ...(maintenance ? { maintenance } : {}),
    });
    const [hour] = bucketsAt('j', 'here', Date.parse('2026-01-01T10:15:00Z'), dayOf(Date.parse('2026-01-01T10:15:00Z'), 'UTC'));
    const partial = (runs: ReturnType<typeof run>[]): RollupBucket => ({ ...hour, ...runs.reduce((c, r) => addRun(c, r, classify(r) as never), EMPTY_COUNTS) });
    const a = partial([run('up', 10), run('degraded', 20), run('down', 30, true)]);
    const b = partial([run('error', 40), run('up', 50)]);
    const [merged, ...rest] = mergeAll([a, b, { ...b, location: 'there' }]);
    expect(rest.map((r) => r.location)).toEqual(['there']);
    expect(merged).toMatchObject({ up: 2, degraded: 1, down: 1, maintenance: 1, durationMs: 11 + 21 + 41 + 51 });
    expect(merged?.latency.count).toBe(4);
  });
});

describe('trackIncident: an incident is a stretch of consecutive bad runs', () => {
  const M = 60_000;
  it.each([
    { what: 'down, down, up', runs: [['down', 0], ['down', 1], ['up', 2]], incidents: 1, ms: 2 * M },
    { what: 'up, down, up, down', runs: [['up', 0], ['down', 1], ['up', 2], ['down', 3]], incidents: 2, ms: 1 * M },
    { what: 'maintenance in the middle neither ends nor starts one', runs: [['down', 0], ['maintenance', 1], ['down', 2], ['up', 3]], incidents: 1, ms: 3 * M },
    { what: 'degraded ends one', runs: [['down', 0], ['degraded', 1], ['down', 2]], incidents: 2, ms: 1 * M },
    { what: 'an out-of-order run is ignored', runs: [['down', 5], ['up', 1], ['up', 6]], incidents: 1, ms: 1 * M },
    { what: 'a long silence counts 6 hours at most', runs: [['down', 0], ['up', 600]], incidents: 1, ms: 360 * M },
  ] as const)('$what', ({ runs, incidents, ms }) => {
    let prev;
    let sum = { incidents: 0, incidentMs: 0 };
    for (const [cls, minute] of runs) {
      const { next, part } = trackIncident(prev, cls, minute * M);
      prev = next;
      sum = { incidents: sum.incidents + part.incidents, incidentMs: sum.incidentMs + part.incidentMs };
    }
    expect(sum).toEqual({ incidents, incidentMs: ms });
  });
});
