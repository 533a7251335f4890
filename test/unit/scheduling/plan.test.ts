import { describe, expect, it } from 'vitest';
import { leftovers, planTick, withStarted, type Cursors, type Occurrence } from '../../../src/domain/plan.js';
import { compileCron, compileEvery, type Schedule } from '../../../src/domain/schedule.js';

/** A fixed instant on a whole minute: every schedule used here has an occurrence on it. */
const T0 = Date.parse('2026-01-01T12:00:00.000Z');
const sec = (seconds: number): number => T0 + seconds * 1_000;
const HOUR = 3_600_000;

function every(text: string): Schedule {
  const schedule = compileEvery(text);
  if (typeof schedule === 'string') throw new Error(`test setup: ${schedule}`);
  return schedule;
}

function cron(expression: string): Schedule {
  const schedule = compileCron(expression, 'UTC');
  if (typeof schedule === 'string') throw new Error(`test setup: ${schedule}`);
  return schedule;
}

const occ = (job: string, seconds: number, catchUp = false): Occurrence => ({ job, scheduledAt: sec(seconds), catchUp });

const byInstantThenJob = (a: Occurrence, b: Occurrence): number =>
  a.scheduledAt - b.scheduledAt || a.job.localeCompare(b.job);

const isSorted = (occurrences: readonly Occurrence[]): boolean =>
  occurrences.every((o, i) => i === 0 || (occurrences[i - 1] as Occurrence).scheduledAt <= o.scheduledAt);

describe('planTick: a job never planned before (no cursor)', () => {
  it.each([
    {
      name: 'every 10s, between occurrences: one catch-up inside the lookback, then the future ones',
      schedule: every('10s'),
      now: sec(5),
      horizon: sec(35) - 1,
      expected: [occ('job', 0, true), occ('job', 10), occ('job', 20), occ('job', 30)],
    },
    {
      name: 'every 10s, exactly on an occurrence: it is due now, on time; the next is beyond the horizon',
      schedule: every('10s'),
      now: sec(0),
      horizon: sec(10) - 1,
      expected: [occ('job', 0)],
    },
    {
      name: 'the horizon itself is included',
      schedule: every('10s'),
      now: sec(5),
      horizon: sec(30),
      expected: [occ('job', 0, true), occ('job', 10), occ('job', 20), occ('job', 30)],
    },
    {
      name: 'every 1m: the last occurrence is older than the lookback, so no catch-up',
      schedule: every('1m'),
      now: sec(30),
      horizon: sec(90) - 1,
      expected: [occ('job', 60)],
    },
    {
      name: 'every 1m: an occurrence exactly lookbackMs ago is outside the lookback',
      schedule: every('1m'),
      now: sec(10),
      horizon: sec(20) - 1,
      expected: [],
    },
    {
      name: 'every 1m: an occurrence just under lookbackMs ago is caught up',
      schedule: every('1m'),
      now: sec(10) - 1,
      horizon: sec(20) - 1,
      expected: [occ('job', 0, true)],
    },
    {
      name: 'cron */15 seconds: one catch-up, then each future occurrence',
      schedule: cron('*/15 * * * * *'),
      now: sec(5),
      horizon: sec(45),
      expected: [occ('job', 0, true), occ('job', 15), occ('job', 30), occ('job', 45)],
    },
    {
      name: 'cron every 5 minutes (5 fields): nothing near, nothing planned',
      schedule: cron('*/5 * * * *'),
      now: sec(60),
      horizon: sec(70) - 1,
      expected: [],
    },
  ])('$name', ({ schedule, now, horizon, expected }) => {
    const plan = planTick({ jobs: [{ name: 'job', schedule }], cursors: {}, now, horizon, lookbackMs: 10_000 });
    expect(plan.occurrences).toEqual(expected);
    expect(plan.cursors).toEqual({ job: horizon });
  });

  it('plans several jobs in one list sorted by instant, each occurrence once', () => {
    const plan = planTick({
      jobs: [
        { name: 'fifteen', schedule: cron('*/15 * * * * *') },
        { name: 'ten', schedule: every('10s') },
        { name: 'minute', schedule: every('1m') },
      ],
      cursors: {},
      now: sec(3),
      horizon: sec(33) - 1,
      lookbackMs: 10_000,
    });
    expect(isSorted(plan.occurrences)).toBe(true);
    expect([...plan.occurrences].sort(byInstantThenJob)).toEqual([
      occ('fifteen', 0, true),
      occ('minute', 0, true),
      occ('ten', 0, true),
      occ('ten', 10),
      occ('fifteen', 15),
      occ('ten', 20),
      occ('fifteen', 30),
      occ('ten', 30),
    ]);
    expect(plan.cursors).toEqual({ fifteen: sec(33) - 1, ten: sec(33) - 1, minute: sec(33) - 1 });
  });

  it('plans nothing and keeps no cursor when there are no jobs', () => {
    expect(planTick({ jobs: [], cursors: { gone: sec(0) }, now: sec(0), horizon: sec(10), lookbackMs: 10_000 })).toEqual({
      occurrences: [],
      cursors: {},
    });
  });
});

describe('planTick over successive ticks: every occurrence exactly once', () => {
  const TICK_MS = 10_000;
  const TICKS = 60; // 10 minutes

  /** Runs TICKS ticks, feeding each tick's cursors into the next; `latency(k)` delays tick k past its boundary. */
  function simulate(schedule: Schedule, latency: (k: number) => number) {
    let cursors: Cursors = {};
    const planned: Occurrence[] = [];
    const firstNow = T0 + latency(0);
    let lastHorizon = 0;
    for (let k = 0; k < TICKS; k++) {
      const boundary = T0 + k * TICK_MS;
      const now = boundary + latency(k);
      const horizon = boundary + TICK_MS - 1;
      const plan = planTick({ jobs: [{ name: 'job', schedule }], cursors, now, tickAt: boundary, horizon, lookbackMs: TICK_MS });
      for (const o of plan.occurrences) {
        // Due ones start at once, the others at their own instant within this tick. Ticks that all
        // run, however late within their period, leave nothing to catch up but the new job's
        // occurrence just before the first tick.
        expect(o.scheduledAt <= horizon && (o.scheduledAt > now || o.scheduledAt >= boundary || k === 0)).toBe(true);
        expect(o.catchUp).toBe(k === 0 && o.scheduledAt < boundary);
      }
      planned.push(...plan.occurrences);
      cursors = plan.cursors;
      lastHorizon = horizon;
    }
    return { planned, firstNow, lastHorizon };
  }

  /** The instants a schedule is due in [from, to], from an independent predicate on whole seconds. */
  function dueInstants(isDue: (ms: number) => boolean, from: number, to: number): number[] {
    const out: number[] = [];
    for (let ms = Math.ceil(from / 1_000) * 1_000; ms <= to; ms += 1_000) if (isDue(ms)) out.push(ms);
    return out;
  }

  const jobs = [
    { name: 'every 10s', schedule: () => every('10s'), isDue: (ms: number) => ms % 10_000 === 0 },
    { name: 'cron */15 * * * * *', schedule: () => cron('*/15 * * * * *'), isDue: (ms: number) => ms % 15_000 === 0 },
    { name: 'every 7s (not aligned to the tick)', schedule: () => every('7s'), isDue: (ms: number) => ms % 7_000 === 0 },
    { name: 'every 1s', schedule: () => every('1s'), isDue: () => true },
    { name: 'cron 0 */2 * * * *', schedule: () => cron('0 */2 * * * *'), isDue: (ms: number) => ms % 120_000 === 0 },
  ];
  const timings = [
    { timing: 'ticks exactly on their boundary', latency: () => 0 },
    { timing: 'ticks up to 0.9 s late', latency: (k: number) => (k * 137) % 900 },
  ];

  describe.each(jobs)('$name', ({ schedule, isDue }) => {
    it.each(timings)('$timing: no instant missed, none planned twice', ({ latency }) => {
      const { planned, firstNow, lastHorizon } = simulate(schedule(), latency);
      const instants = planned.map((o) => o.scheduledAt);
      expect(new Set(instants).size).toBe(instants.length);

      // A new job catches up the latest occurrence within the lookback, then everything after `now`.
      const caughtUp = dueInstants(isDue, firstNow - TICK_MS + 1, firstNow).slice(-1);
      const expected = [...caughtUp, ...dueInstants(isDue, firstNow + 1, lastHorizon)];
      expect(expected.length).toBeGreaterThan(1);
      expect([...instants].sort((a, b) => a - b)).toEqual(expected);
    });
  });
});

describe('planTick after downtime', () => {
  it.each([
    {
      name: 'every 10s, cursor 1 hour old: one catch-up for the latest missed instant, then the future',
      schedule: every('10s'),
      cursor: sec(3) - HOUR,
      now: sec(3),
      horizon: sec(23) - 1,
      expected: [occ('job', 0, true), occ('job', 10), occ('job', 20)],
    },
    {
      name: 'cron */15 seconds, cursor 1 hour old, now past several occurrences of the minute',
      schedule: cron('*/15 * * * * *'),
      cursor: sec(50) - HOUR,
      now: sec(50),
      horizon: sec(60),
      expected: [occ('job', 45, true), occ('job', 60)],
    },
    {
      name: 'cron every 5 minutes, cursor 1 hour old, nothing due before the horizon',
      schedule: cron('0 */5 * * * *'),
      cursor: sec(150) - HOUR,
      now: sec(150),
      horizon: sec(160) - 1,
      expected: [occ('job', 0, true)],
    },
    {
      name: 'every 10s, tick 30 s late, nothing before it planned: the tick instant stands for the dropped ones',
      schedule: every('10s'),
      cursor: sec(0) - 1,
      now: sec(30) + 250,
      tickAt: sec(30),
      horizon: sec(40) - 1,
      expected: [occ('job', 30, true)],
    },
    {
      name: 'every 1m, cursor one tick old, the tick 3 s late: the occurrence before the tick instant is a catch-up',
      schedule: every('1m'),
      cursor: sec(0) - 1,
      now: sec(13),
      tickAt: sec(10),
      horizon: sec(20) - 1,
      expected: [occ('job', 0, true)],
    },
    {
      name: 'every 10s, cursor one tick old (no downtime), the tick 250 ms late: its own instant is on time',
      schedule: every('10s'),
      cursor: sec(0) - 1,
      now: sec(0) + 250,
      tickAt: sec(0),
      horizon: sec(10) - 1,
      expected: [occ('job', 0)],
    },
  ])('$name', ({ schedule, cursor, now, tickAt, horizon, expected }) => {
    const plan = planTick({ jobs: [{ name: 'job', schedule }], cursors: { job: cursor }, now, ...(tickAt === undefined ? {} : { tickAt }), horizon, lookbackMs: 10_000 });
    expect(plan.occurrences).toEqual(expected);
    expect(plan.cursors).toEqual({ job: horizon });
  });
});

describe('planTick cursors', () => {
  it('drops the cursors of jobs that are no longer present and keeps one per present job', () => {
    const plan = planTick({
      jobs: [
        { name: 'kept', schedule: every('10s') },
        { name: 'new', schedule: every('10s') },
      ],
      cursors: { kept: sec(10) - 1, removed: sec(10) - 1, 'also-removed': sec(0) },
      now: sec(10),
      horizon: sec(20) - 1,
      lookbackMs: 10_000,
    });
    expect(plan.cursors).toEqual({ kept: sec(20) - 1, new: sec(20) - 1 });
    expect(plan.occurrences.map((o) => o.job).sort()).toEqual(['kept', 'new']);
  });

  it.each([
    { name: 'cursor exactly at the horizon', cursor: sec(30) - 1 },
    { name: 'cursor 1 ms beyond the horizon', cursor: sec(30) },
    { name: 'cursor an hour beyond the horizon', cursor: sec(30) + HOUR },
  ])('$name: plans nothing; the new cursor is the horizon', ({ cursor }) => {
    const horizon = sec(30) - 1;
    const plan = planTick({
      jobs: [{ name: 'job', schedule: every('10s') }],
      cursors: { job: cursor },
      now: sec(20) + 500,
      horizon,
      lookbackMs: 10_000,
    });
    expect(plan.occurrences).toEqual([]);
    expect(plan.cursors).toEqual({ job: horizon });
  });

  it('a cursor between now and the horizon resumes strictly after the cursor, without a catch-up', () => {
    const plan = planTick({
      jobs: [{ name: 'job', schedule: every('10s') }],
      cursors: { job: sec(40) },
      now: sec(5),
      horizon: sec(60),
      lookbackMs: 10_000,
    });
    expect(plan.occurrences).toEqual([occ('job', 50), occ('job', 60)]);
    expect(plan.cursors).toEqual({ job: sec(60) });
  });
});

describe('planTick maxPerJob', () => {
  it.each([
    { maxPerJob: 1, nowStepMs: 0 },
    { maxPerJob: 3, nowStepMs: 0 },
    { maxPerJob: 4, nowStepMs: 0 },
    { maxPerJob: 4, nowStepMs: 900 },
    { maxPerJob: 9, nowStepMs: 0 },
    { maxPerJob: 1_000, nowStepMs: 0 },
  ])(
    'maxPerJob $maxPerJob, now +$nowStepMs ms per tick: the cursor resumes and no occurrence is lost or repeated',
    ({ maxPerJob, nowStepMs }) => {
      const horizon = sec(10) - 1;
      let cursors: Cursors = {};
      const planned: Occurrence[] = [];
      // Re-plan the same window until nothing is left (bounded), as when ticks come faster than the horizon.
      for (let tick = 0; tick < 20; tick++) {
        const plan = planTick({
          jobs: [{ name: 'job', schedule: every('1s') }],
          cursors,
          now: sec(0) + tick * nowStepMs,
          horizon,
          lookbackMs: 10_000,
          maxPerJob,
        });
        const now = sec(0) + tick * nowStepMs;
        expect(plan.occurrences.filter((o) => o.scheduledAt > now).length).toBeLessThanOrEqual(maxPerJob);
        planned.push(...plan.occurrences);
        cursors = plan.cursors;
        if (plan.occurrences.length === 0) break;
      }
      expect(planned.map((o) => o.scheduledAt)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9].map(sec));
      expect(planned.every((o) => !o.catchUp)).toBe(true);
      expect(cursors).toEqual({ job: horizon });
    },
  );

  it('a truncated tick sets the cursor just before the first occurrence it did not plan', () => {
    const plan = planTick({
      jobs: [{ name: 'job', schedule: every('1s') }],
      cursors: { job: sec(0) },
      now: sec(0),
      horizon: sec(10) - 1,
      lookbackMs: 10_000,
      maxPerJob: 3,
    });
    expect(plan.occurrences).toEqual([occ('job', 1), occ('job', 2), occ('job', 3)]);
    expect(plan.cursors).toEqual({ job: sec(4) - 1 });
  });
});

describe('planTick: an occurrence started but never recorded (the process died) is caught up once', () => {
  const id = (seconds: number) => `job@${new Date(sec(seconds)).toISOString()}`;
  // A job every 30 s on a 10 s tick, planned up to sec(10) - 1 by a process that died after starting
  // the occurrence at sec(0); the new process ticks at sec(10), when nothing else is due yet.
  const base = { jobs: [{ name: 'job', schedule: every('30s') }], now: sec(10), tickAt: sec(10), horizon: sec(20) - 1, lookbackMs: 10_000 };

  it.each([
    { name: 'left over: one catch-up under its own run id', cursors: { job: { plannedUntil: sec(10) - 1, started: [sec(0)] } }, expected: [occ('job', 0, true)] },
    { name: 'still running in this process: not caught up', cursors: { job: { plannedUntil: sec(10) - 1, started: [sec(0)] } }, running: [id(0)], expected: [] },
    { name: 'its run is in the store: not caught up (never doubled)', cursors: { job: { plannedUntil: sec(10) - 1, started: [sec(0)] } }, recorded: [id(0)], expected: [] },
    {
      name: 'several left over: only the latest, once',
      cursors: { job: { plannedUntil: sec(10) - 1, started: [sec(-60), sec(-30), sec(0)] } },
      expected: [occ('job', 0, true)],
    },
    {
      name: 'one left over and one running: the left-over one',
      cursors: { job: { plannedUntil: sec(10) - 1, started: [sec(-30), sec(0)] } },
      running: [id(0)],
      expected: [occ('job', -30, true)],
    },
    { name: 'a bare number (nothing started, as earlier versions stored): nothing to catch up', cursors: { job: sec(10) - 1 }, expected: [] },
    { name: 'an empty started list: nothing to catch up', cursors: { job: { plannedUntil: sec(10) - 1, started: [] } }, expected: [] },
  ])('$name', ({ cursors, running = [], recorded = [], expected }) => {
    const plan = planTick({ ...base, cursors, running: new Set(running), recorded: new Set(recorded) });
    expect(plan.occurrences).toEqual(expected);
    expect(plan.cursors).toEqual({ job: sec(20) - 1 });
  });

  it('the next occurrence due on the tick itself stands for the left-over one: one run, a catch-up', () => {
    const plan = planTick({ ...base, now: sec(30), tickAt: sec(30), horizon: sec(40) - 1, cursors: { job: { plannedUntil: sec(10) - 1, started: [sec(0)] } } });
    expect(plan.occurrences).toEqual([occ('job', 30, true)]);
    // Its run recorded after all, or still running here: the occurrence due is on time, as any other.
    for (const known of [{ recorded: new Set([id(0)]) }, { running: new Set([id(0)]) }]) {
      const onTime = planTick({ ...base, now: sec(30), tickAt: sec(30), horizon: sec(40) - 1, cursors: { job: { plannedUntil: sec(10) - 1, started: [sec(0)] } }, ...known });
      expect(onTime.occurrences).toEqual([occ('job', 30, false)]);
    }
  });

  it('after longer downtime the latest missed occurrence is the one catch-up; the left-over one is covered by it', () => {
    const plan = planTick({ ...base, now: sec(95), tickAt: sec(90), horizon: sec(100) - 1, cursors: { job: { plannedUntil: sec(10) - 1, started: [sec(0)] } } });
    expect(plan.occurrences).toEqual([occ('job', 90, true)]);
  });

  it.each([
    { name: 'nothing started', planned: { a: 5, b: 7 }, started: [], expected: { a: 5, b: 7 } },
    { name: 'one started', planned: { a: 5, b: 7 }, started: [{ job: 'a', scheduledAt: 3 }], expected: { a: { plannedUntil: 5, started: [3] }, b: 7 } },
    { name: 'two of one job', planned: { a: 5 }, started: [{ job: 'a', scheduledAt: 1 }, { job: 'a', scheduledAt: 3 }], expected: { a: { plannedUntil: 5, started: [1, 3] } } },
    { name: 'a job no longer planned is left out', planned: { a: 5 }, started: [{ job: 'gone', scheduledAt: 3 }], expected: { a: 5 } },
  ])('withStarted: $name', ({ planned, started, expected }) => {
    expect(withStarted(planned, started)).toEqual(expected);
  });

  it('leftovers: the started occurrences not running here, with their run ids', () => {
    const cursors: Cursors = { job: { plannedUntil: sec(10), started: [sec(0), sec(5)] }, other: sec(10) };
    expect(leftovers(cursors, new Set([id(5)]))).toEqual([{ job: 'job', scheduledAt: sec(0), runId: id(0) }]);
  });
});
