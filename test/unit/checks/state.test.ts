import { describe, expect, it } from 'vitest';
import type { Run, RunStatus } from '../../../src/domain/run.js';
import { decideState, INITIAL_STATE, type JobState } from '../../../src/domain/state.js';

const EARLIER = '2026-05-01T11:00:00.000Z';
const STARTED = '2026-05-01T12:00:00.000Z';

function run(status: RunStatus, overrides: Partial<Run> = {}): Run {
  const success = status === 'up';
  return {
    runId: `api@${STARTED}`,
    job: 'api',
    trigger: 'schedule',
    scheduledAt: STARTED,
    startedAt: STARTED,
    durationMs: 42,
    attempts: status === 'skipped' ? 0 : 1,
    status,
    success,
    httpStatus: status === 'up' ? 200 : status === 'down' ? 503 : null,
    conditions: [],
    location: 'test',
    ...(status === 'down' ? { error: { kind: 'conditions' as const, message: '[STATUS] (503) == 200' } } : {}),
    ...(status === 'error' ? { error: { kind: 'internal' as const, message: 'boom' } } : {}),
    ...(status === 'skipped' ? { error: { kind: 'overlap' as const, message: 'previous run still going' } } : {}),
    ...overrides,
  };
}

const state = (overrides: Partial<JobState>): JobState => ({ ...INITIAL_STATE, ...overrides });

const lastRunOf = (r: Run): JobState['lastRun'] => ({
  runId: r.runId,
  status: r.status,
  startedAt: r.startedAt,
  durationMs: r.durationMs,
  httpStatus: r.httpStatus,
  ...(r.error ? { error: r.error } : {}),
});

const previousRun = run('up', { runId: `api@${EARLIER}`, startedAt: EARLIER, scheduledAt: EARLIER });

describe('decideState', () => {
  it.each([
    {
      name: 'UNKNOWN + up → UP, health changed from UNKNOWN',
      prev: INITIAL_STATE,
      status: 'up' as const,
      next: { health: 'UP', since: STARTED, consecutiveFailures: 0, consecutiveSuccesses: 1 },
      change: { from: 'UNKNOWN', to: 'UP' },
    },
    {
      name: 'UNKNOWN + down → DOWN, health changed from UNKNOWN',
      prev: INITIAL_STATE,
      status: 'down' as const,
      next: { health: 'DOWN', since: STARTED, consecutiveFailures: 1, consecutiveSuccesses: 0 },
      change: { from: 'UNKNOWN', to: 'DOWN' },
    },
    {
      name: 'UP + up → stays UP, successes increment, no effect',
      prev: state({ health: 'UP', since: EARLIER, consecutiveSuccesses: 4, lastRun: lastRunOf(previousRun) }),
      status: 'up' as const,
      next: { health: 'UP', since: EARLIER, consecutiveFailures: 0, consecutiveSuccesses: 5 },
      change: undefined,
    },
    {
      name: 'UP + down → DOWN since the run started, first failure',
      prev: state({ health: 'UP', since: EARLIER, consecutiveSuccesses: 4, lastRun: lastRunOf(previousRun) }),
      status: 'down' as const,
      next: { health: 'DOWN', since: STARTED, consecutiveFailures: 1, consecutiveSuccesses: 0 },
      change: { from: 'UP', to: 'DOWN' },
    },
    {
      name: 'UP + error → DOWN (an internal error counts as a failure)',
      prev: state({ health: 'UP', since: EARLIER, consecutiveSuccesses: 2 }),
      status: 'error' as const,
      next: { health: 'DOWN', since: STARTED, consecutiveFailures: 1, consecutiveSuccesses: 0 },
      change: { from: 'UP', to: 'DOWN' },
    },
    {
      name: 'DOWN + error → stays DOWN, failures increment, no effect',
      prev: state({ health: 'DOWN', since: EARLIER, consecutiveFailures: 3 }),
      status: 'error' as const,
      next: { health: 'DOWN', since: EARLIER, consecutiveFailures: 4, consecutiveSuccesses: 0 },
      change: undefined,
    },
    {
      name: 'DOWN + down → stays DOWN, failures increment, no effect',
      prev: state({ health: 'DOWN', since: EARLIER, consecutiveFailures: 1 }),
      status: 'down' as const,
      next: { health: 'DOWN', since: EARLIER, consecutiveFailures: 2, consecutiveSuccesses: 0 },
      change: undefined,
    },
    {
      name: 'DOWN + up → UP since the run started, failures reset',
      prev: state({ health: 'DOWN', since: EARLIER, consecutiveFailures: 7 }),
      status: 'up' as const,
      next: { health: 'UP', since: STARTED, consecutiveFailures: 0, consecutiveSuccesses: 1 },
      change: { from: 'DOWN', to: 'UP' },
    },
  ])('$name', ({ prev, status, next, change }) => {
    const r = run(status);
    const decided = decideState(prev, r);
    expect(decided.next).toEqual({ ...next, lastRun: lastRunOf(r) });
    expect(decided.effects).toEqual(change ? [{ type: 'health-changed', job: 'api', ...change, run: r }] : []);
  });

  it.each([
    { name: 'from UNKNOWN', prev: INITIAL_STATE },
    { name: 'from UP', prev: state({ health: 'UP', since: EARLIER, consecutiveSuccesses: 4, lastRun: lastRunOf(previousRun) }) },
    { name: 'from DOWN', prev: state({ health: 'DOWN', since: EARLIER, consecutiveFailures: 3 }) },
  ])('a skipped run changes only lastRun, with no effect ($name)', ({ prev }) => {
    const r = run('skipped');
    const decided = decideState(prev, r);
    expect(decided.next).toEqual({ ...prev, lastRun: lastRunOf(r) });
    expect(decided.next.lastRun).toEqual({
      runId: `api@${STARTED}`,
      status: 'skipped',
      startedAt: STARTED,
      durationMs: 42,
      httpStatus: null,
      error: { kind: 'overlap', message: 'previous run still going' },
    });
    expect(decided.effects).toEqual([]);
  });

  it.each([
    { name: 'an up run without error has no error key', status: 'up' as const, hasError: false },
    { name: 'a down run keeps its error', status: 'down' as const, hasError: true },
  ])('lastRun: $name', ({ status, hasError }) => {
    const r = run(status);
    const { lastRun } = decideState(INITIAL_STATE, r).next;
    expect(lastRun !== null && 'error' in lastRun).toBe(hasError);
    expect(lastRun).toEqual(lastRunOf(r));
  });

  it('does not modify the previous state', () => {
    const prev = state({ health: 'UP', since: EARLIER, consecutiveSuccesses: 1 });
    const copy = structuredClone(prev);
    decideState(prev, run('down'));
    expect(prev).toEqual(copy);
  });
});
