import { describe, expect, it } from 'vitest';
import { activeMaintenance, openingAt, suppressesAlerts, windowSelects, type MaintenanceWindow } from '../../../src/domain/maintenance.js';
import { compileCron, type Schedule } from '../../../src/domain/schedule.js';

const cron = (expression: string, timezone = 'UTC'): Schedule => compileCron(expression, timezone) as Schedule;
const at = (iso: string) => Date.parse(iso);
const HOUR = 3_600_000;

const window = (overrides: Partial<MaintenanceWindow> = {}): MaintenanceWindow => ({
  name: 'nightly',
  schedule: cron('0 2 * * *'),
  durationMs: 2 * HOUR,
  checks: 'run',
  jobs: ['billing'],
  ...overrides,
});

/** A window that selects by tags alone. */
const byTags = (tags: Record<string, string>): MaintenanceWindow => {
  const { jobs: _jobs, ...rest } = window({ tags });
  return rest;
};

describe('openingAt: a window is open for its duration after each occurrence', () => {
  it.each([
    { name: 'just before it opens', when: '2026-05-01T01:59:59.999Z', open: undefined },
    { name: 'at the occurrence (inclusive)', when: '2026-05-01T02:00:00.000Z', open: ['2026-05-01T02:00:00.000Z', '2026-05-01T04:00:00.000Z'] },
    { name: 'in the middle', when: '2026-05-01T03:10:00.000Z', open: ['2026-05-01T02:00:00.000Z', '2026-05-01T04:00:00.000Z'] },
    { name: '1 ms before it closes', when: '2026-05-01T03:59:59.999Z', open: ['2026-05-01T02:00:00.000Z', '2026-05-01T04:00:00.000Z'] },
    { name: 'when it closes (exclusive)', when: '2026-05-01T04:00:00.000Z', open: undefined },
    { name: 'the next day, same hour', when: '2026-05-02T02:30:00.000Z', open: ['2026-05-02T02:00:00.000Z', '2026-05-02T04:00:00.000Z'] },
  ])('$name', ({ when, open }) => {
    const found = openingAt(window(), at(when));
    expect(found && [new Date(found.start).toISOString(), new Date(found.end).toISOString()]).toEqual(open);
  });

  it.each([
    // 6 fields, seconds first; 30-minute windows every 6 hours on weekdays
    { name: '6 fields: Monday 06:15 is open', schedule: cron('0 0 */6 * * 1-5'), durationMs: 30 * 60_000, when: '2026-05-04T06:15:00.000Z', open: true },
    { name: '6 fields: Monday 06:30 has closed', schedule: cron('0 0 */6 * * 1-5'), durationMs: 30 * 60_000, when: '2026-05-04T06:30:00.000Z', open: false },
    { name: '6 fields: Saturday 06:15 has no window', schedule: cron('0 0 */6 * * 1-5'), durationMs: 30 * 60_000, when: '2026-05-02T06:15:00.000Z', open: false },
    { name: 'longer than the period: always open', schedule: cron('0 * * * *'), durationMs: 2 * HOUR, when: '2026-05-02T06:15:00.000Z', open: true },
  ])('$name', ({ schedule, durationMs, when, open }) => {
    expect(openingAt(window({ schedule, durationMs }), at(when)) !== undefined).toBe(open);
  });
});

describe('openingAt in a time zone, across DST', () => {
  const amsterdam = (durationMs = HOUR) => window({ schedule: cron('30 2 * * *', 'Europe/Amsterdam'), durationMs });
  it.each([
    { name: 'winter: 02:30 CET is 01:30Z', when: '2026-01-15T01:45:00.000Z', start: '2026-01-15T01:30:00.000Z' },
    { name: 'winter: 01:29Z is before it', when: '2026-01-15T01:29:00.000Z', start: undefined },
    { name: 'summer: 02:30 CEST is 00:30Z', when: '2026-07-15T00:45:00.000Z', start: '2026-07-15T00:30:00.000Z' },
    { name: 'summer: 01:30Z is after it', when: '2026-07-15T01:30:00.000Z', start: undefined },
    // 29 March 2026: 02:00 CET jumps to 03:00 CEST; 02:30 does not exist and the window opens at 03:00 CEST
    { name: 'spring forward: the missing 02:30 opens at 03:00 CEST (01:00Z)', when: '2026-03-29T01:10:00.000Z', start: '2026-03-29T01:00:00.000Z' },
    { name: 'spring forward: not open before the jump', when: '2026-03-29T00:59:00.000Z', start: undefined },
    // 25 October 2026: 03:00 CEST falls back to 02:00 CET; 02:30 happens twice and the window opens once, at the first
    { name: 'fall back: opens at the first 02:30 (00:30Z)', when: '2026-10-25T00:40:00.000Z', start: '2026-10-25T00:30:00.000Z' },
    { name: 'fall back: the second 02:30 (01:30Z) opens nothing new', when: '2026-10-25T01:40:00.000Z', start: undefined },
  ])('$name', ({ when, start }) => {
    const found = openingAt(amsterdam(), at(when));
    expect(found && new Date(found.start).toISOString()).toEqual(start);
  });
});

describe('windowSelects', () => {
  const job = { name: 'Billing', tags: { team: 'payments', env: 'prod' } };
  it.each([
    { name: 'by name, ignoring case', w: window({ jobs: ['billing'] }), selects: true },
    { name: 'another name', w: window({ jobs: ['search'] }), selects: false },
    { name: 'by one tag', w: byTags({ team: 'payments' }), selects: true },
    { name: 'by all of two tags', w: byTags({ team: 'payments', env: 'prod' }), selects: true },
    { name: 'one tag differs', w: byTags({ team: 'payments', env: 'test' }), selects: false },
    { name: 'no tags at all', w: byTags({}), selects: false },
  ])('$name', ({ w, selects }) => {
    expect(windowSelects(w, job)).toBe(selects);
  });
});

describe('activeMaintenance: the window a job is in', () => {
  const run2h = window({ name: 'run2h', checks: 'run', durationMs: 2 * HOUR });
  const run3h = window({ name: 'run3h', checks: 'run', durationMs: 3 * HOUR });
  const pause1h = window({ name: 'pause1h', checks: 'pause', durationMs: HOUR });
  it.each([
    { name: 'none configured', windows: undefined, when: '2026-05-01T02:30:00Z', found: undefined },
    { name: 'one open', windows: [run2h], when: '2026-05-01T02:30:00Z', found: 'run2h' },
    { name: 'pause wins over run', windows: [run2h, pause1h], when: '2026-05-01T02:30:00Z', found: 'pause1h' },
    { name: 'pause closed: run', windows: [pause1h, run2h], when: '2026-05-01T03:30:00Z', found: 'run2h' },
    { name: 'two runs: the one ending last', windows: [run2h, run3h], when: '2026-05-01T02:30:00Z', found: 'run3h' },
    { name: 'all closed', windows: [run2h, run3h, pause1h], when: '2026-05-01T05:00:00Z', found: undefined },
  ])('$name', ({ windows, when, found }) => {
    expect(activeMaintenance(windows, at(when))?.name).toBe(found);
  });
});

describe('suppressesAlerts', () => {
  it.each([
    { name: 'a run marked maintenance', run: { maintenance: true }, suppressed: true },
    { name: 'a paused occurrence', run: { maintenance: true, error: { kind: 'maintenance' as const, message: 'x' } }, suppressed: true },
    { name: 'an ordinary down run', run: { error: { kind: 'conditions' as const, message: 'x' } }, suppressed: false },
    { name: 'an ordinary up run', run: {}, suppressed: false },
  ])('$name', ({ run, suppressed }) => {
    expect(suppressesAlerts(run)).toBe(suppressed);
  });
});

describe('openingAt answers the same when asked again about one window (its memo)', () => {
  it.each([
    { name: 'daily 2h', w: window() },
    { name: 'hourly 2h (overlapping openings)', w: window({ schedule: cron('0 * * * *'), durationMs: 2 * HOUR }) },
    { name: 'every 10 s for 3 s', w: window({ schedule: cron('*/10 * * * * *'), durationMs: 3_000 }) },
  ])('$name: forwards, backwards and jumping', ({ w }) => {
    const base = at('2026-05-01T01:00:00Z');
    const steps = [0, 1, 59, 60, 61, 119, 120, 121, 180, 179, 0, 240, 2, 1_440, 1_500, 60, 3_000].map((m) => base + m * 60_000 + (m % 7) * 1_000);
    for (const when of steps) expect(openingAt(w, when), new Date(when).toISOString()).toEqual(openingAt({ ...w }, when));
  });
});
