import { describe, expect, it } from 'vitest';
import { compileCron, fixedPeriod, nextOccurrence, previousOccurrence, type Schedule } from '../../../src/domain/schedule.js';

function cron(expression: string, timezone: string): Extract<Schedule, { kind: 'cron' }> {
  const schedule = compileCron(expression, timezone);
  if (typeof schedule === 'string' || schedule.kind !== 'cron') throw new Error(`test setup: ${String(schedule)}`);
  return schedule;
}

describe('fixedPeriod', () => {
  it.each([
    { expression: '*/10 * * * * *', expected: { periodMs: 10_000, offsetMs: 0 } },
    { expression: '* * * * * *', expected: { periodMs: 1_000, offsetMs: 0 } },
    { expression: '*/1 * * * * *', expected: { periodMs: 1_000, offsetMs: 0 } },
    { expression: '*/30 */1 * * * *', expected: { periodMs: 30_000, offsetMs: 0 } },
    { expression: '15 * * * * *', expected: { periodMs: 60_000, offsetMs: 15_000 } },
    { expression: '0 */1 * * * *', expected: { periodMs: 60_000, offsetMs: 0 } },
    { expression: '* * * * *', expected: { periodMs: 60_000, offsetMs: 0 } },
    { expression: '  */20   * * * * * ', expected: { periodMs: 20_000, offsetMs: 0 } },
  ])('$expression → every $expected.periodMs ms', ({ expression, expected }) => {
    expect(fixedPeriod(expression)).toEqual(expected);
  });

  it.each([
    '*/7 * * * * *', // 7 does not divide 60: the minute restarts the steps
    '0 */5 * * * *', // a minute field depends on the zone's offset
    '0 0 * * * *',
    '*/10 * * * 1 *',
    '5-10 * * * * *',
    '1,2 * * * * *',
    '*/5 * * * *',
    '0 0 12 * * MON',
  ])('%s → croner', (expression) => {
    expect(fixedPeriod(expression)).toBeUndefined();
  });
});

// The arithmetic must give what croner gives, in every zone and across DST changes (offsets of
// 30 and 45 minutes, a 30-minute DST shift on Lord Howe Island).
const zones = ['UTC', 'Europe/Berlin', 'America/New_York', 'Asia/Kolkata', 'Asia/Kathmandu', 'Australia/Lord_Howe', 'America/St_Johns'];
const instants = [
  '2026-03-29T00:59:59.999Z', // Berlin springs forward at 01:00Z
  '2026-03-29T01:00:00.000Z',
  '2026-10-25T00:59:55.500Z', // Berlin falls back at 01:00Z
  '2026-03-08T06:59:59.000Z', // New York springs forward at 07:00Z
  '2026-11-01T05:59:50.001Z', // New York falls back at 06:00Z
  '2026-04-04T14:59:59.999Z', // Lord Howe falls back 30 min at 15:00Z
  '2026-01-01T00:00:00.000Z',
  '2026-06-15T12:34:56.789Z',
];
const expressions = ['*/10 * * * * *', '* * * * * *', '15 * * * * *', '*/30 * * * * *', '* * * * *', '0 */1 * * * *'];
const cases = zones.flatMap((timezone) => expressions.flatMap((expression) => instants.map((instant) => ({ timezone, expression, instant }))));

describe('a fixed-period cron matches croner', () => {
  it.each(cases)('$expression in $timezone around $instant', ({ expression, timezone, instant }) => {
    const fast = cron(expression, timezone);
    expect(fast.fixed).toBeDefined();
    const { fixed: _fixed, ...slow } = fast;
    let t = Date.parse(instant);
    for (let i = 0; i < 5; i++) {
      expect(nextOccurrence(fast, t)).toBe(nextOccurrence(slow, t));
      expect(previousOccurrence(fast, t)).toBe(previousOccurrence(slow, t));
      t = (nextOccurrence(slow, t) as number) - (i % 2); // on an occurrence and 1 ms before one
    }
  });
});
