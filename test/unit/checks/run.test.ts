import { describe, expect, it } from 'vitest';
import { buildRun, unjudgedRun, type RunFacts, type RunIdentity } from '../../../src/domain/run.js';

const AT = Date.parse('2026-05-01T12:00:00.000Z');
const ID: RunIdentity = { runId: `api@${new Date(AT).toISOString()}`, job: 'api', trigger: 'schedule', scheduledAt: AT, location: 'westeurope' };
const timings = { dns: 1, connect: 2, tls: 3, firstByte: 4, total: 12 };
const UP: RunFacts = {
  startedAt: AT + 5,
  durationMs: 12,
  attempts: 1,
  verdict: { status: 'up', success: true, httpStatus: 200, conditions: [{ condition: '[STATUS] == 200', success: true, actual: '200' }] },
  final: { timings },
};
const BASE_KEYS = ['runId', 'job', 'trigger', 'scheduledAt', 'startedAt', 'durationMs', 'attempts', 'status', 'success', 'httpStatus', 'conditions'];

describe('buildRun: the one builder of a run, fields in the documented order', () => {
  it.each([
    { name: 'an up run with timings', id: ID, facts: UP, keys: [...BASE_KEYS, 'timings', 'location'] },
    {
      name: 'a down run with an error, a certificate and a catch-up',
      id: { ...ID, catchUp: true },
      facts: { ...UP, verdict: { ...UP.verdict, status: 'down', success: false, error: { kind: 'conditions', message: 'x' } }, final: { timings, certificateExpiresAt: AT + 86_400_000 } },
      keys: [...BASE_KEYS, 'error', 'timings', 'certificateExpiresAt', 'location', 'catchUp'],
    },
    {
      name: 'a run that made no request',
      id: ID,
      facts: { startedAt: AT, durationMs: 0, attempts: 0, verdict: { status: 'error', success: false, httpStatus: null, conditions: [], error: { kind: 'secret-unavailable', message: 'y' } } },
      keys: [...BASE_KEYS, 'error', 'location'],
    },
    {
      name: 'a follow-up run made silently while an upstream job was down',
      id: { ...ID, trigger: 'followup', parentRunId: 'db@2026-05-01T11:59:00.000Z', suppressed: { reason: 'upstream-down', upstream: ['db'] } },
      facts: UP,
      keys: [...BASE_KEYS, 'timings', 'location', 'parentRunId', 'suppressed'],
    },
  ] as Array<{ name: string; id: RunIdentity; facts: RunFacts; keys: string[] }>)('$name', ({ id, facts, keys }) => {
    const run = buildRun(id, facts);
    expect(Object.keys(run)).toEqual(keys);
    expect(run).toMatchObject({ runId: id.runId, job: 'api', scheduledAt: '2026-05-01T12:00:00.000Z', startedAt: new Date(facts.startedAt).toISOString(), location: 'westeurope' });
    if (facts.final?.certificateExpiresAt !== undefined) expect(run.certificateExpiresAt).toBe('2026-05-02T12:00:00.000Z');
  });
});

describe('unjudgedRun: a run that judged nothing', () => {
  it.each([
    { kind: 'overlap', status: undefined, expected: 'skipped' },
    { kind: 'circuit-open', status: 'skipped', expected: 'skipped' },
    { kind: 'internal', status: 'error', expected: 'error' },
  ] as const)('$kind is $expected, with no request and no duration', ({ kind, status, expected }) => {
    const run = unjudgedRun(ID, AT + 7, kind, 'why', status);
    expect(run).toEqual({
      runId: ID.runId,
      job: 'api',
      trigger: 'schedule',
      scheduledAt: '2026-05-01T12:00:00.000Z',
      startedAt: '2026-05-01T12:00:00.007Z',
      durationMs: 0,
      attempts: 0,
      status: expected,
      success: false,
      httpStatus: null,
      conditions: [],
      error: { kind, message: 'why' },
      location: 'westeurope',
    });
  });
});
