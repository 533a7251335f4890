import { describe, expect, it } from 'vitest';
import { ScheduleMemo } from '../../../src/app/scheduleMemo.js';
import { planTick, type Cursors } from '../../../src/domain/plan.js';
import { compileCron, nextOccurrence, previousOccurrence, type Schedule } from '../../../src/domain/schedule.js';

function cron(expression: string, timezone: string): Schedule {
  const schedule = compileCron(expression, timezone);
  if (typeof schedule === 'string') throw new Error(`test setup: ${schedule}`);
  return schedule;
}

const SECOND = 1_000;

/** Tick instants: every `periodMs` from `from`, each a few ms late, with an optional pause (downtime) and a step back. */
function ticks(from: string, count: number, periodMs: number, pause?: { after: number; ms: number }): number[] {
  const out: number[] = [];
  let t = Date.parse(from);
  for (let i = 0; i < count; i++) {
    out.push(t + (i % 3) * 7);
    t += periodMs + (pause && i === pause.after ? pause.ms : 0);
  }
  return out;
}

// Croner-walked schedules (not fixed periods), across DST changes in their zones.
const cases = [
  { name: 'every 5 min, Berlin spring forward', expression: '0 */5 * * * *', timezone: 'Europe/Berlin', ticks: ticks('2026-03-29T00:50:00Z', 200, 10 * SECOND) },
  { name: 'every 5 min, Berlin fall back', expression: '0 */5 * * * *', timezone: 'Europe/Berlin', ticks: ticks('2026-10-25T00:50:00Z', 200, 10 * SECOND) },
  { name: '02:30 daily, New York spring forward (skipped hour)', expression: '0 30 2 * * *', timezone: 'America/New_York', ticks: ticks('2026-03-08T06:00:00Z', 300, 60 * SECOND) },
  { name: '01:30 daily, New York fall back (repeated hour)', expression: '0 30 1 * * *', timezone: 'America/New_York', ticks: ticks('2026-11-01T04:00:00Z', 300, 60 * SECOND) },
  { name: 'every 15 min, Kathmandu (+5:45)', expression: '0 */15 * * * *', timezone: 'Asia/Kathmandu', ticks: ticks('2026-01-01T00:00:00Z', 200, 10 * SECOND) },
  { name: 'seconds 5-10, a downtime of 7 min', expression: '5-10 * * * * *', timezone: 'UTC', ticks: ticks('2026-01-01T00:00:00Z', 120, 10 * SECOND, { after: 50, ms: 420 * SECOND }) },
  { name: 'hourly, a pause of 3 h', expression: '0 0 * * * *', timezone: 'Europe/London', ticks: ticks('2026-03-29T00:30:00Z', 100, 60 * SECOND, { after: 40, ms: 3 * 3_600 * SECOND }) },
  { name: 'weekdays 09:00, Sydney', expression: '0 0 9 * * 1-5', timezone: 'Australia/Sydney', ticks: ticks('2026-04-03T20:00:00Z', 100, 600 * SECOND) },
];

describe('ScheduleMemo gives the plans of the pure planner', () => {
  it.each(cases)('$name', ({ expression, timezone, ticks: instants }) => {
    const jobs = [{ name: 'job', schedule: cron(expression, timezone) }];
    const memo = new ScheduleMemo();
    let pure: Cursors = {};
    let memoized: Cursors = {};
    for (let i = 0; i < instants.length; i++) {
      const now = instants[i] as number;
      const horizon = (instants[i + 1] ?? now + 10 * SECOND) - 1;
      const input = { jobs, now, horizon, lookbackMs: 10 * SECOND };
      const a = planTick({ ...input, cursors: pure });
      const b = planTick({ ...input, cursors: memoized, occurrences: memo });
      expect(b).toEqual(a);
      pure = a.cursors;
      memoized = b.cursors;
    }
  });

  it.each(cases)('next and previous agree with croner, in any order: $name', ({ expression, timezone, ticks: instants }) => {
    const schedule = cron(expression, timezone);
    const memo = new ScheduleMemo();
    // Forward, then backwards and jumping: the memo must start afresh, not answer from stale occurrences.
    const order = [...instants, ...[...instants].reverse().filter((_, i) => i % 7 === 0)];
    for (const t of order) {
      expect(memo.next(schedule, t)).toBe(nextOccurrence(schedule, t));
      expect(memo.previous(schedule, t)).toBe(previousOccurrence(schedule, t));
    }
  });

  it('walks croner once per occurrence in steady ticking, not per tick', () => {
    const schedule = cron('0 */5 * * * *', 'UTC');
    let walks = 0;
    const counted = Object.assign(Object.create(Object.getPrototypeOf(schedule) as object) as object, schedule, {
      cron: new Proxy((schedule as { cron: object }).cron, {
        get(target, key, receiver) {
          const value = Reflect.get(target, key, receiver) as unknown;
          if (typeof value !== 'function') return value;
          return (...args: unknown[]) => {
            walks++;
            return (value as (...a: unknown[]) => unknown).apply(target, args);
          };
        },
      }),
    }) as Schedule;
    const memo = new ScheduleMemo();
    let cursors: Cursors = {};
    const instants = ticks('2026-01-01T00:00:00Z', 360, 10 * SECOND); // 1 h: 12 occurrences
    for (let i = 0; i < instants.length; i++) {
      const now = instants[i] as number;
      cursors = planTick({ jobs: [{ name: 'job', schedule: counted }], cursors, now, horizon: now + 10 * SECOND - 1, lookbackMs: 10 * SECOND, occurrences: memo }).cursors;
    }
    // Without the memo: 2 to 3 walks per tick (1,000 here).
    expect(walks).toBeLessThanOrEqual(12 + 3);
  });
});
