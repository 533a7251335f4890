import { describe, expect, it } from 'vitest';
import { parseCondition, type Condition } from '../../../src/domain/conditions/index.js';
import { failedDegraded, judge, type Attempt } from '../../../src/domain/outcome.js';
import type { Run, RunStatus } from '../../../src/domain/run.js';
import { decideState, INITIAL_STATE, type Health, type JobState } from '../../../src/domain/state.js';

const cond = (source: string): Condition => parseCondition(source) as Condition;
const response = (status: number, totalMs: number): Attempt => ({
  type: 'response',
  status,
  headers: {},
  timings: { dns: 0, connect: 0, tls: 0, firstByte: totalMs, total: totalMs },
});
const failure: Attempt = { type: 'failure', kind: 'connect', message: 'ECONNREFUSED', timings: { dns: 0, connect: 0, tls: 0, firstByte: 0, total: 3 } };

describe('judge with degradedConditions', () => {
  it.each([
    {
      name: 'fast 200: up, degraded results shown and marked',
      attempt: response(200, 120),
      degraded: ['[RESPONSE_TIME] < 300'],
      status: 'up',
      success: true,
      conditions: [
        { condition: '[STATUS] == 200', success: true, actual: '200' },
        { condition: '[RESPONSE_TIME] < 300', success: true, actual: '120', degraded: true },
      ],
    },
    {
      name: 'slow 200: degraded, still a success, the failed degraded condition marked',
      attempt: response(200, 450),
      degraded: ['[RESPONSE_TIME] < 300'],
      status: 'degraded',
      success: true,
      conditions: [
        { condition: '[STATUS] == 200', success: true, actual: '200' },
        { condition: '[RESPONSE_TIME] < 300', success: false, actual: '450', degraded: true },
      ],
    },
    {
      name: 'slow 503: down (conditions first), degraded conditions not judged',
      attempt: response(503, 450),
      degraded: ['[RESPONSE_TIME] < 300'],
      status: 'down',
      success: false,
      conditions: [{ condition: '[STATUS] == 200', success: false, actual: '503' }],
    },
    {
      name: 'connection refused: down, degraded conditions not judged',
      attempt: failure,
      degraded: ['[RESPONSE_TIME] < 300'],
      status: 'down',
      success: false,
      conditions: [{ condition: '[STATUS] == 200', success: false, actual: null }],
    },
    {
      name: 'no degraded conditions: up as before',
      attempt: response(200, 450),
      degraded: [],
      status: 'up',
      success: true,
      conditions: [{ condition: '[STATUS] == 200', success: true, actual: '200' }],
    },
    {
      name: 'one of two degraded conditions fails: degraded',
      attempt: response(200, 250),
      degraded: ['[RESPONSE_TIME] < 300', '[RESPONSE_TIME] < 200'],
      status: 'degraded',
      success: true,
      conditions: [
        { condition: '[STATUS] == 200', success: true, actual: '200' },
        { condition: '[RESPONSE_TIME] < 300', success: true, actual: '250', degraded: true },
        { condition: '[RESPONSE_TIME] < 200', success: false, actual: '250', degraded: true },
      ],
    },
  ])('$name', ({ attempt, degraded, status, success, conditions }) => {
    const verdict = judge([cond('[STATUS] == 200')], attempt, 0, { compare: 'full', degraded: degraded.map(cond) });
    expect(verdict.status).toBe(status);
    expect(verdict.success).toBe(success);
    expect(verdict.conditions).toEqual(conditions);
    expect(verdict.error === undefined).toBe(success);
  });

  it('failedDegraded lists the failed degraded conditions with their actual values, not the others', () => {
    const verdict = judge([cond('[STATUS] == 200')], response(200, 450), 0, { compare: 'full', degraded: [cond('[RESPONSE_TIME] < 300'), cond('[STATUS] < 300')] });
    expect(failedDegraded(verdict.conditions)).toEqual(['[RESPONSE_TIME] < 300 (actual: 450)']);
  });
});

const AT = '2026-05-01T12:00:00.000Z';
const run = (status: RunStatus, maintenance = false): Run => ({
  runId: `api@${AT}`,
  job: 'api',
  trigger: 'schedule',
  scheduledAt: AT,
  startedAt: AT,
  durationMs: 5,
  attempts: status === 'skipped' ? 0 : 1,
  status,
  success: status === 'up' || status === 'degraded',
  httpStatus: status === 'skipped' ? null : 200,
  conditions: [],
  location: 'test',
  ...(status === 'skipped' ? { error: { kind: maintenance ? ('maintenance' as const) : ('overlap' as const), message: 'x' } } : {}),
  ...(maintenance ? { maintenance: true } : {}),
});
const state = (health: Health, successes = 0, failures = 0): JobState => ({ ...INITIAL_STATE, health, since: '2026-05-01T11:00:00.000Z', consecutiveSuccesses: successes, consecutiveFailures: failures });

describe('decideState with degraded and maintenance runs', () => {
  it.each([
    { name: 'UP + degraded → DEGRADED (a success), changed', prev: state('UP', 3), run: run('degraded'), health: 'DEGRADED', successes: 4, failures: 0, changed: true },
    { name: 'DEGRADED + degraded → DEGRADED, no effect', prev: state('DEGRADED', 2), run: run('degraded'), health: 'DEGRADED', successes: 3, failures: 0, changed: false },
    { name: 'DEGRADED + up → UP, changed', prev: state('DEGRADED', 2), run: run('up'), health: 'UP', successes: 3, failures: 0, changed: true },
    { name: 'DOWN + degraded → DEGRADED, failures reset', prev: state('DOWN', 0, 4), run: run('degraded'), health: 'DEGRADED', successes: 1, failures: 0, changed: true },
    { name: 'DEGRADED + down → DOWN', prev: state('DEGRADED', 2), run: run('down'), health: 'DOWN', successes: 0, failures: 1, changed: true },
    { name: 'UP + a run in a window → MAINTENANCE, counts kept', prev: state('UP', 3), run: run('down', true), health: 'MAINTENANCE', successes: 3, failures: 0, changed: true },
    { name: 'DOWN + a paused occurrence → MAINTENANCE, counts kept', prev: state('DOWN', 0, 2), run: run('skipped', true), health: 'MAINTENANCE', successes: 0, failures: 2, changed: true },
    { name: 'MAINTENANCE + a run in a window → MAINTENANCE, no effect', prev: state('MAINTENANCE', 1), run: run('up', true), health: 'MAINTENANCE', successes: 1, failures: 0, changed: false },
    { name: 'MAINTENANCE + up after the window → UP, changed', prev: state('MAINTENANCE', 1), run: run('up'), health: 'UP', successes: 2, failures: 0, changed: true },
    { name: 'MAINTENANCE + an overlap skip → stays MAINTENANCE', prev: state('MAINTENANCE', 1), run: run('skipped'), health: 'MAINTENANCE', successes: 1, failures: 0, changed: false },
  ])('$name', ({ prev, run: r, health, successes, failures, changed }) => {
    const { next, effects } = decideState(prev, r);
    expect({ health: next.health, successes: next.consecutiveSuccesses, failures: next.consecutiveFailures }).toEqual({ health, successes, failures });
    expect(next.since).toBe(changed ? AT : prev.since);
    expect(effects).toEqual(changed ? [{ type: 'health-changed', job: 'api', from: prev.health, to: health, run: r }] : []);
  });
});
