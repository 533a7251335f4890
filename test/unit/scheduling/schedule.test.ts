import { describe, expect, it } from 'vitest';
import {
  compileCron,
  compileEvery,
  describeSchedule,
  MIN_INTERVAL_MS,
  nextOccurrence,
  parseDuration,
  previousOccurrence,
  type Schedule,
} from '../../../src/domain/schedule.js';

const at = (iso: string): number => Date.parse(iso);
const iso = (ms: number | undefined): string | undefined => (ms === undefined ? undefined : new Date(ms).toISOString());

function cron(expression: string, timezone = 'UTC'): Schedule {
  const schedule = compileCron(expression, timezone);
  if (typeof schedule === 'string') throw new Error(`test setup: ${schedule}`);
  return schedule;
}

function every(text: string): Schedule {
  const schedule = compileEvery(text);
  if (typeof schedule === 'string') throw new Error(`test setup: ${schedule}`);
  return schedule;
}

/** Every occurrence in [from, to), by walking nextOccurrence. */
function occurrencesBetween(schedule: Schedule, from: string, to: string): string[] {
  const out: string[] = [];
  let cursor = at(from) - 1;
  for (;;) {
    const next = nextOccurrence(schedule, cursor);
    if (next === undefined || next >= at(to)) return out;
    out.push(new Date(next).toISOString());
    cursor = next;
  }
}

describe('parseDuration', () => {
  it.each([
    { text: '500ms', expected: 500 },
    { text: '0ms', expected: 0 },
    { text: '1s', expected: 1_000 },
    { text: '30s', expected: 30_000 },
    { text: '5m', expected: 300_000 },
    { text: '48h', expected: 172_800_000 },
    { text: '7d', expected: 604_800_000 },
    { text: '1.5s', expected: 1_500 },
    { text: '0.5m', expected: 30_000 },
    { text: '2.25h', expected: 8_100_000 },
    { text: '0.0015s', expected: 2 }, // 1.5 ms, rounded
    { text: '  30s  ', expected: 30_000 }, // surrounding whitespace is trimmed
  ])('$text → $expected ms', ({ text, expected }) => {
    expect(parseDuration(text)).toBe(expected);
  });

  it.each([
    { text: '' },
    { text: '30' }, // no unit
    { text: 's' }, // no number
    { text: '30 s' }, // space between number and unit
    { text: '-5s' },
    { text: '5w' }, // unknown unit
    { text: '5S' }, // units are case-sensitive
    { text: '1e3ms' },
    { text: '.5s' },
    { text: '5.s' },
    { text: '1h30m' }, // compound durations are not supported
    { text: 'abc' },
  ])('"$text" → undefined', ({ text }) => {
    expect(parseDuration(text)).toBeUndefined();
  });
});

describe('compileCron', () => {
  it.each([
    { expression: '*/15 * * * * *', timezone: 'UTC', fields: 6 },
    { expression: '0 30 2 * * *', timezone: 'Europe/Berlin', fields: 6 },
    { expression: '*/5 * * * *', timezone: 'UTC', fields: 5 },
    { expression: '0 9 * * 1-5', timezone: 'America/New_York', fields: 5 },
    { expression: '  0 0 * * * *  ', timezone: 'UTC', fields: 6 },
  ])('accepts $fields-field "$expression" in $timezone', ({ expression, timezone }) => {
    const schedule = compileCron(expression, timezone);
    expect(typeof schedule).not.toBe('string');
    expect(schedule).toMatchObject({ kind: 'cron', expression, timezone });
  });

  it.each([
    { expression: '* * * *', got: 4 },
    { expression: '0 0 0 * * * 2026', got: 7 },
    { expression: '', got: 1 },
    { expression: '*', got: 1 },
  ])('rejects "$expression" ($got fields)', ({ expression, got }) => {
    const result = compileCron(expression, 'UTC');
    expect(result).toBe(`"${expression}" is not NCRONTAB (expected 5 or 6 fields, got ${got})`);
  });

  it.each([
    { expression: '0 61 * * * *', bad: '61' }, // minute 61 (6 fields)
    { expression: '61 * * * *', bad: '61' }, // minute 61 (5 fields)
    { expression: '60 * * * * *', bad: '60' }, // second 60
    { expression: '0 0 25 * * *', bad: '25' }, // hour 25
    { expression: '0 0 0 32 * *', bad: '32' }, // day 32
    { expression: '0 0 0 * 13 *', bad: '13' }, // month 13
    { expression: '0 0 0 * * 8', bad: '8' }, // day of week 8
    { expression: 'a b c d e', bad: 'a' },
  ])('rejects a bad value in "$expression"', ({ expression, bad }) => {
    const result = compileCron(expression, 'UTC');
    expect(typeof result).toBe('string');
    expect((result as string).startsWith(`"${expression}" is not NCRONTAB (`)).toBe(true);
    expect((result as string).endsWith(')')).toBe(true);
    expect(result as string).not.toContain('CronPattern: '); // croner's prefix is stripped
    expect(result as string).toContain(bad);
  });
});

describe('compileEvery', () => {
  it.each([
    { text: '1s', everyMs: 1_000 },
    { text: '30s', everyMs: 30_000 },
    { text: '1000ms', everyMs: 1_000 },
    { text: '5m', everyMs: 300_000 },
    { text: '1.5m', everyMs: 90_000 },
    { text: '1d', everyMs: 86_400_000 },
  ])('accepts "$text" ($everyMs ms)', ({ text, everyMs }) => {
    expect(compileEvery(text)).toEqual({ kind: 'every', text, everyMs });
  });

  it.each([
    { text: 'abc', message: '"abc" is not an interval (expected a number and a unit, e.g. "30s", "5m", "1h")' },
    { text: '30', message: '"30" is not an interval (expected a number and a unit, e.g. "30s", "5m", "1h")' },
    { text: '5 minutes', message: '"5 minutes" is not an interval (expected a number and a unit, e.g. "30s", "5m", "1h")' },
    { text: '999ms', message: '"999ms" is shorter than the minimum of 1s' },
    { text: '0.5s', message: '"0.5s" is shorter than the minimum of 1s' },
    { text: '0s', message: '"0s" is shorter than the minimum of 1s' },
  ])('rejects "$text"', ({ text, message }) => {
    expect(compileEvery(text)).toBe(message);
  });

  it('has a 1 s minimum', () => {
    expect(MIN_INTERVAL_MS).toBe(1_000);
  });
});

describe('describeSchedule', () => {
  it.each([
    { schedule: () => every('30s'), expected: 'every 30s' },
    { schedule: () => cron('0 30 2 * * *', 'Europe/Berlin'), expected: '0 30 2 * * * (Europe/Berlin)' },
  ])('$expected', ({ schedule, expected }) => {
    expect(describeSchedule(schedule())).toBe(expected);
  });
});

describe('nextOccurrence / previousOccurrence for `every` (aligned to the Unix epoch)', () => {
  it.each([
    { text: '30s', after: '2026-01-01T12:00:10.000Z', next: '2026-01-01T12:00:30.000Z' },
    { text: '30s', after: '2026-01-01T12:00:30.000Z', next: '2026-01-01T12:01:00.000Z' }, // strictly after
    { text: '30s', after: '2026-01-01T12:00:29.999Z', next: '2026-01-01T12:00:30.000Z' },
    { text: '5m', after: '2026-01-01T12:03:00.000Z', next: '2026-01-01T12:05:00.000Z' },
    { text: '1h', after: '2026-01-01T12:00:00.001Z', next: '2026-01-01T13:00:00.000Z' },
    { text: '1d', after: '2026-01-01T12:00:00.000Z', next: '2026-01-02T00:00:00.000Z' },
    { text: '7s', after: '1970-01-01T00:00:00.000Z', next: '1970-01-01T00:00:07.000Z' },
    { text: '7s', after: '1970-01-01T00:00:13.500Z', next: '1970-01-01T00:00:14.000Z' },
  ])('every $text: next after $after is $next', ({ text, after, next }) => {
    expect(iso(nextOccurrence(every(text), at(after)))).toBe(next);
  });

  it.each([
    { text: '30s', atOrBefore: '2026-01-01T12:00:30.000Z', previous: '2026-01-01T12:00:30.000Z' }, // boundary included
    { text: '30s', atOrBefore: '2026-01-01T12:00:29.999Z', previous: '2026-01-01T12:00:00.000Z' },
    { text: '30s', atOrBefore: '2026-01-01T12:00:10.000Z', previous: '2026-01-01T12:00:00.000Z' },
    { text: '5m', atOrBefore: '2026-01-01T12:09:59.000Z', previous: '2026-01-01T12:05:00.000Z' },
    { text: '1d', atOrBefore: '2026-01-01T23:59:59.999Z', previous: '2026-01-01T00:00:00.000Z' },
    { text: '7s', atOrBefore: '1970-01-01T00:00:13.999Z', previous: '1970-01-01T00:00:07.000Z' },
  ])('every $text: previous at or before $atOrBefore is $previous', ({ text, atOrBefore, previous }) => {
    expect(iso(previousOccurrence(every(text), at(atOrBefore)))).toBe(previous);
  });
});

describe('nextOccurrence / previousOccurrence for cron', () => {
  it.each([
    { expression: '*/15 * * * * *', timezone: 'UTC', after: '2026-01-01T12:00:00.000Z', next: '2026-01-01T12:00:15.000Z' },
    { expression: '*/15 * * * * *', timezone: 'UTC', after: '2026-01-01T12:00:14.999Z', next: '2026-01-01T12:00:15.000Z' },
    { expression: '*/15 * * * * *', timezone: 'UTC', after: '2026-01-01T12:00:15.000Z', next: '2026-01-01T12:00:30.000Z' },
    { expression: '*/5 * * * *', timezone: 'UTC', after: '2026-01-01T12:00:00.000Z', next: '2026-01-01T12:05:00.000Z' },
    { expression: '0 0 * * * *', timezone: 'UTC', after: '2026-01-01T11:59:59.999Z', next: '2026-01-01T12:00:00.000Z' },
    { expression: '0 0 0 1 1 *', timezone: 'UTC', after: '2026-01-01T00:00:00.000Z', next: '2027-01-01T00:00:00.000Z' },
    // 09:00 local: CET (+1) in winter, CEST (+2) in summer, IST (+5:30) all year.
    { expression: '0 0 9 * * *', timezone: 'Europe/Berlin', after: '2026-01-15T00:00:00.000Z', next: '2026-01-15T08:00:00.000Z' },
    { expression: '0 0 9 * * *', timezone: 'Europe/Berlin', after: '2026-07-15T00:00:00.000Z', next: '2026-07-15T07:00:00.000Z' },
    { expression: '0 0 9 * * *', timezone: 'Asia/Kolkata', after: '2026-01-15T00:00:00.000Z', next: '2026-01-15T03:30:00.000Z' },
    // Weekdays at 09:00 New York (EST, −5): Friday 2 Jan 2026 → Monday 5 Jan.
    { expression: '0 9 * * 1-5', timezone: 'America/New_York', after: '2026-01-02T14:00:00.000Z', next: '2026-01-05T14:00:00.000Z' },
  ])('$expression ($timezone): next after $after is $next', ({ expression, timezone, after, next }) => {
    expect(iso(nextOccurrence(cron(expression, timezone), at(after)))).toBe(next);
  });

  it.each([
    { expression: '*/15 * * * * *', timezone: 'UTC', atOrBefore: '2026-01-01T12:00:15.000Z', previous: '2026-01-01T12:00:15.000Z' }, // boundary included
    { expression: '*/15 * * * * *', timezone: 'UTC', atOrBefore: '2026-01-01T12:00:15.500Z', previous: '2026-01-01T12:00:15.000Z' },
    { expression: '*/15 * * * * *', timezone: 'UTC', atOrBefore: '2026-01-01T12:00:14.999Z', previous: '2026-01-01T12:00:00.000Z' },
    { expression: '0 * * * *', timezone: 'UTC', atOrBefore: '2026-01-01T12:00:00.000Z', previous: '2026-01-01T12:00:00.000Z' },
    { expression: '0 * * * *', timezone: 'UTC', atOrBefore: '2026-01-01T11:59:59.999Z', previous: '2026-01-01T11:00:00.000Z' },
    { expression: '0 0 9 * * *', timezone: 'Europe/Berlin', atOrBefore: '2026-07-15T06:59:59.000Z', previous: '2026-07-14T07:00:00.000Z' },
    { expression: '0 9 * * 1-5', timezone: 'America/New_York', atOrBefore: '2026-01-03T00:00:00.000Z', previous: '2026-01-02T14:00:00.000Z' },
    { expression: '0 9 * * 1-5', timezone: 'America/New_York', atOrBefore: '2026-01-05T14:00:00.000Z', previous: '2026-01-05T14:00:00.000Z' },
  ])('$expression ($timezone): previous at or before $atOrBefore is $previous', ({ expression, timezone, atOrBefore, previous }) => {
    expect(iso(previousOccurrence(cron(expression, timezone), at(atOrBefore)))).toBe(previous);
  });
});

describe('cron across daylight-saving changes', () => {
  it.each([
    {
      name: 'Berlin spring-forward: 02:30 does not exist, runs once at 03:00 CEST',
      expression: '0 30 2 * * *',
      timezone: 'Europe/Berlin',
      // The local day 2026-03-29 (00:00 CET … 24:00 CEST).
      from: '2026-03-28T23:00:00.000Z',
      to: '2026-03-29T22:00:00.000Z',
      expected: ['2026-03-29T01:00:00.000Z'],
    },
    {
      name: 'Berlin fall-back: 02:30 happens twice, runs once (the first, CEST)',
      expression: '0 30 2 * * *',
      timezone: 'Europe/Berlin',
      // The local day 2026-10-25 (00:00 CEST … 24:00 CET).
      from: '2026-10-24T22:00:00.000Z',
      to: '2026-10-25T23:00:00.000Z',
      expected: ['2026-10-25T00:30:00.000Z'],
    },
    {
      name: 'New York spring-forward: 02:30 does not exist, runs once at 03:00 EDT',
      expression: '0 30 2 * * *',
      timezone: 'America/New_York',
      from: '2026-03-08T05:00:00.000Z',
      to: '2026-03-09T04:00:00.000Z',
      expected: ['2026-03-08T07:00:00.000Z'],
    },
    {
      name: 'New York fall-back: 01:30 happens twice, runs once (the first, EDT)',
      expression: '0 30 1 * * *',
      timezone: 'America/New_York',
      from: '2026-11-01T04:00:00.000Z',
      to: '2026-11-02T05:00:00.000Z',
      expected: ['2026-11-01T05:30:00.000Z'],
    },
    {
      name: 'Berlin, the days around spring-forward keep their usual instants',
      expression: '0 30 2 * * *',
      timezone: 'Europe/Berlin',
      from: '2026-03-27T12:00:00.000Z',
      to: '2026-03-30T12:00:00.000Z',
      expected: ['2026-03-28T01:30:00.000Z', '2026-03-29T01:00:00.000Z', '2026-03-30T00:30:00.000Z'],
    },
    {
      name: 'Berlin, the days around fall-back keep their usual instants',
      expression: '0 30 2 * * *',
      timezone: 'Europe/Berlin',
      from: '2026-10-23T12:00:00.000Z',
      to: '2026-10-26T12:00:00.000Z',
      expected: ['2026-10-24T00:30:00.000Z', '2026-10-25T00:30:00.000Z', '2026-10-26T01:30:00.000Z'],
    },
  ])('$name', ({ expression, timezone, from, to, expected }) => {
    const schedule = cron(expression, timezone);
    expect(occurrencesBetween(schedule, from, to)).toEqual(expected);
    // Looking backwards from the end of the window finds the same last occurrence.
    expect(iso(previousOccurrence(schedule, at(to) - 1))).toBe(expected[expected.length - 1]);
  });

  it.each([
    { name: 'Berlin spring-forward', expression: '*/5 * * * *', timezone: 'Europe/Berlin', from: '2026-03-29T00:00:00.000Z', to: '2026-03-29T02:00:00.000Z', periodMs: 300_000, count: 24 },
    { name: 'Berlin fall-back', expression: '*/5 * * * *', timezone: 'Europe/Berlin', from: '2026-10-25T00:00:00.000Z', to: '2026-10-25T02:00:00.000Z', periodMs: 300_000, count: 24 },
    { name: 'New York spring-forward', expression: '*/5 * * * *', timezone: 'America/New_York', from: '2026-03-08T06:00:00.000Z', to: '2026-03-08T08:00:00.000Z', periodMs: 300_000, count: 24 },
    { name: 'New York fall-back', expression: '*/5 * * * *', timezone: 'America/New_York', from: '2026-11-01T05:00:00.000Z', to: '2026-11-01T07:00:00.000Z', periodMs: 300_000, count: 24 },
    // Hourly over the whole local day: 23 hours in spring, 25 in autumn.
    { name: 'Berlin hourly, spring-forward day', expression: '0 0 * * * *', timezone: 'Europe/Berlin', from: '2026-03-28T23:00:00.000Z', to: '2026-03-29T22:00:00.000Z', periodMs: 3_600_000, count: 23 },
    { name: 'Berlin hourly, fall-back day', expression: '0 0 * * * *', timezone: 'Europe/Berlin', from: '2026-10-24T22:00:00.000Z', to: '2026-10-25T23:00:00.000Z', periodMs: 3_600_000, count: 25 },
  ])('$name: $expression keeps even spacing in UTC (no gap, no duplicate)', ({ expression, timezone, from, to, periodMs, count }) => {
    const instants = occurrencesBetween(cron(expression, timezone), from, to).map(at);
    expect(instants).toHaveLength(count);
    expect(instants[0]).toBe(at(from));
    const gaps = instants.slice(1).map((instant, i) => instant - (instants[i] as number));
    expect(new Set(gaps)).toEqual(new Set([periodMs]));
  });
});

describe('compileCron shares croner objects', () => {
  it('jobs with the same expression and zone share one croner object (each holds an 80 KB table) and find the same runs; another zone gets its own', () => {
    const a = cron('0 30 9 * * 1-5', 'Europe/Paris');
    const b = cron('0 30 9 * * 1-5', 'Europe/Paris');
    const c = cron('0 30 9 * * 1-5', 'America/New_York');
    if (a.kind !== 'cron' || b.kind !== 'cron' || c.kind !== 'cron') throw new Error('test setup');
    expect(a).not.toBe(b);
    expect(a.cron).toBe(b.cron);
    expect(c.cron).not.toBe(a.cron);
    const friday = at('2026-11-27T12:00:00Z');
    // Asking one job's schedule changes nothing the other one answers.
    expect(iso(nextOccurrence(a, friday))).toBe('2026-11-30T08:30:00.000Z');
    expect(iso(previousOccurrence(b, friday))).toBe('2026-11-27T08:30:00.000Z');
    expect(iso(nextOccurrence(b, friday))).toBe('2026-11-30T08:30:00.000Z');
    expect(iso(nextOccurrence(c, friday))).toBe('2026-11-27T14:30:00.000Z');
  });
});
