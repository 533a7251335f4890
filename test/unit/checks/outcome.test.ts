import { describe, expect, it } from 'vitest';
import { evaluateConditions, parseCondition, type Condition } from '../../../src/domain/conditions/index.js';
import {
  failedConditions,
  isTransient,
  judge,
  retryAfterMs,
  type Attempt,
} from '../../../src/domain/outcome.js';
import type { Timings, TransportFailureKind } from '../../../src/domain/run.js';

const NOW = Date.parse('2026-05-01T12:00:00.000Z');
const HOUR = 3_600_000;
const DAY = 24 * HOUR;

function cond(source: string): Condition {
  const parsed = parseCondition(source);
  expect(typeof parsed).not.toBe('string');
  return parsed as Condition;
}

const timings = (total = 120): Timings => ({ dns: 5, connect: 10, tls: 20, firstByte: 60, total });

function response(status: number, extra: Partial<Extract<Attempt, { type: 'response' }>> = {}): Attempt {
  return { type: 'response', status, headers: {}, timings: timings(), ...extra };
}

function failure(kind: TransportFailureKind, message = `${kind} failed`): Attempt {
  return { type: 'failure', kind, message, timings: timings(3_000) };
}

describe('isTransient', () => {
  it.each([
    { kind: 'timeout', transient: true },
    { kind: 'connect', transient: true },
    { kind: 'dns', transient: true },
    { kind: 'reset', transient: true },
    { kind: 'tls', transient: false },
    { kind: 'protocol', transient: false },
  ] as const)('failure $kind → $transient', ({ kind, transient }) => {
    expect(isTransient(failure(kind))).toBe(transient);
  });

  it.each([
    { status: 408, transient: true },
    { status: 429, transient: true },
    { status: 500, transient: true },
    { status: 502, transient: true },
    { status: 503, transient: true },
    { status: 504, transient: true },
    { status: 200, transient: false },
    { status: 204, transient: false },
    { status: 301, transient: false },
    { status: 400, transient: false },
    { status: 401, transient: false },
    { status: 404, transient: false },
    { status: 501, transient: false },
    { status: 505, transient: false },
  ])('status $status → $transient', ({ status, transient }) => {
    expect(isTransient(response(status))).toBe(transient);
  });
});

describe('retryAfterMs', () => {
  it.each([
    { name: 'seconds on a 429', attempt: response(429, { headers: { 'retry-after': '120' } }), expected: 120_000 },
    { name: 'seconds on a 503', attempt: response(503, { headers: { 'retry-after': '5' } }), expected: 5_000 },
    { name: 'zero seconds', attempt: response(503, { headers: { 'retry-after': '0' } }), expected: 0 },
    { name: 'seconds with surrounding spaces', attempt: response(429, { headers: { 'retry-after': ' 7 ' } }), expected: 7_000 },
    { name: 'HTTP date 30 s after now', attempt: response(503, { headers: { 'retry-after': 'Fri, 01 May 2026 12:00:30 GMT' } }), expected: 30_000 },
    { name: 'HTTP date 2 minutes after now', attempt: response(429, { headers: { 'retry-after': 'Fri, 01 May 2026 12:02:00 GMT' } }), expected: 120_000 },
    { name: 'HTTP date in the past → 0', attempt: response(503, { headers: { 'retry-after': 'Fri, 01 May 2026 11:59:00 GMT' } }), expected: 0 },
    { name: 'absent', attempt: response(429), expected: undefined },
    { name: 'empty', attempt: response(429, { headers: { 'retry-after': '  ' } }), expected: undefined },
    { name: 'unparseable', attempt: response(503, { headers: { 'retry-after': 'soon' } }), expected: undefined },
    { name: 'ignored on a 500', attempt: response(500, { headers: { 'retry-after': '120' } }), expected: undefined },
    { name: 'ignored on a 200', attempt: response(200, { headers: { 'retry-after': '120' } }), expected: undefined },
    { name: 'ignored on a transport failure', attempt: failure('timeout'), expected: undefined },
  ])('$name → $expected', ({ attempt, expected }) => {
    expect(retryAfterMs(attempt, NOW)).toBe(expected);
  });

  // V8's lenient Date.parse reads "1.5", "-5" or "abc 1" as dates in 2001: only an IMF-fixdate counts.
  it.each([{ value: '1.5' }, { value: '-5' }, { value: 'abc 1' }])(
    'Retry-After "$value" (neither delay-seconds nor an HTTP date) → undefined',
    ({ value }) => {
      expect(retryAfterMs(response(503, { headers: { 'retry-after': value } }), NOW)).toBeUndefined();
    },
  );
});

describe('judge', () => {
  it.each([
    {
      name: 'a passing response is up',
      conditions: ['[STATUS] == 200'],
      attempt: response(200),
      expected: {
        status: 'up',
        success: true,
        httpStatus: 200,
        conditions: [{ condition: '[STATUS] == 200', success: true, actual: '200' }],
      },
    },
    {
      name: 'a response with no conditions is up',
      conditions: [],
      attempt: response(500),
      expected: { status: 'up', success: true, httpStatus: 500, conditions: [] },
    },
    {
      name: 'a failed condition is down with kind "conditions"',
      conditions: ['[STATUS] == 200'],
      attempt: response(503),
      expected: {
        status: 'down',
        success: false,
        httpStatus: 503,
        conditions: [{ condition: '[STATUS] == 200', success: false, actual: '503' }],
        error: { kind: 'conditions', message: '[STATUS] (503) == 200' },
      },
    },
    {
      name: 'several failed conditions are joined with "; "',
      conditions: ['[STATUS] == 200', '[RESPONSE_TIME] < 100', '[BODY].status == UP'],
      attempt: response(200, { body: '{"status":"DOWN"}', timings: timings(250) }),
      expected: {
        status: 'down',
        success: false,
        httpStatus: 200,
        conditions: [
          { condition: '[STATUS] == 200', success: true, actual: '200' },
          { condition: '[RESPONSE_TIME] < 100', success: false, actual: '250' },
          { condition: '[BODY].status == UP', success: false, actual: 'DOWN' },
        ],
        error: { kind: 'conditions', message: '[RESPONSE_TIME] (250) < 100; [BODY].status (DOWN) == UP' },
      },
    },
    {
      name: 'headers and body of the response are seen by the conditions',
      conditions: ['[HEADERS].content-type == pat(application/json*)', 'len([BODY].items) == 2'],
      attempt: response(200, { headers: { 'content-type': 'application/json' }, body: '{"items":[1,2]}' }),
      expected: {
        status: 'up',
        success: true,
        httpStatus: 200,
        conditions: [
          { condition: '[HEADERS].content-type == pat(application/json*)', success: true, actual: 'application/json' },
          { condition: 'len([BODY].items) == 2', success: true, actual: '2' },
        ],
      },
    },
    {
      name: 'a transport failure is down with its own kind and message',
      conditions: ['[STATUS] == 200'],
      attempt: failure('connect', 'connect ECONNREFUSED 127.0.0.1:9'),
      expected: {
        status: 'down',
        success: false,
        httpStatus: null,
        conditions: [{ condition: '[STATUS] == 200', success: false, actual: null }],
        error: { kind: 'connect', message: 'connect ECONNREFUSED 127.0.0.1:9' },
      },
    },
    {
      name: 'a transport failure without conditions is still down',
      conditions: [],
      attempt: failure('timeout', 'timed out after 5000 ms'),
      expected: {
        status: 'down',
        success: false,
        httpStatus: null,
        conditions: [],
        error: { kind: 'timeout', message: 'timed out after 5000 ms' },
      },
    },
    {
      name: 'a transport failure is up when the job expects it ([CONNECTED] == false)',
      conditions: ['[CONNECTED] == false'],
      attempt: failure('connect', 'connect ECONNREFUSED 127.0.0.1:9'),
      expected: {
        status: 'up',
        success: true,
        httpStatus: null,
        conditions: [{ condition: '[CONNECTED] == false', success: true, actual: 'false' }],
      },
    },
    {
      name: 'a response is down when the job expects no connection',
      conditions: ['[CONNECTED] == false'],
      attempt: response(200),
      expected: {
        status: 'down',
        success: false,
        httpStatus: 200,
        conditions: [{ condition: '[CONNECTED] == false', success: false, actual: 'true' }],
        error: { kind: 'conditions', message: '[CONNECTED] (true) == false' },
      },
    },
    {
      name: 'a transport failure with [CONNECTED] == true is down by its conditions',
      conditions: ['[CONNECTED] == true'],
      attempt: failure('dns', 'getaddrinfo ENOTFOUND example.invalid'),
      expected: {
        status: 'down',
        success: false,
        httpStatus: null,
        conditions: [{ condition: '[CONNECTED] == true', success: false, actual: 'false' }],
        error: { kind: 'conditions', message: '[CONNECTED] (false) == true' },
      },
    },
  ])('$name', ({ conditions, attempt, expected }) => {
    expect(judge(conditions.map(cond), attempt, NOW, { compare: 'full' })).toEqual(expected);
  });

  describe('certificate expiry is measured from `now`', () => {
    // The certificate expires exactly 10 days (240 h) after NOW.
    const attempt = response(200, { certificateExpiresAt: NOW + 10 * DAY });
    it.each([
      { condition: '[CERTIFICATE_EXPIRATION] > 48h', offsetMs: 0, success: true, actual: String(10 * DAY) },
      { condition: '[CERTIFICATE_EXPIRATION] > 239h', offsetMs: 0, success: true, actual: String(10 * DAY) },
      { condition: '[CERTIFICATE_EXPIRATION] > 240h', offsetMs: 0, success: false, actual: String(10 * DAY) },
      { condition: '[CERTIFICATE_EXPIRATION] >= 240h', offsetMs: 0, success: true, actual: String(10 * DAY) },
      { condition: '[CERTIFICATE_EXPIRATION] > 240h', offsetMs: -1, success: true, actual: String(10 * DAY + 1) },
      // Nine days later only one day is left.
      { condition: '[CERTIFICATE_EXPIRATION] > 48h', offsetMs: 9 * DAY, success: false, actual: String(DAY) },
      // Expired two hours ago.
      { condition: '[CERTIFICATE_EXPIRATION] > 0', offsetMs: 10 * DAY + 2 * HOUR, success: false, actual: String(-2 * HOUR) },
    ])('$condition, judged $offsetMs ms after NOW → success $success', ({ condition, offsetMs, success, actual }) => {
      const verdict = judge([cond(condition)], attempt, NOW + offsetMs, { compare: 'full' });
      expect(verdict.conditions).toEqual([{ condition, success, actual }]);
      expect(verdict.status).toBe(success ? 'up' : 'down');
      expect(verdict.success).toBe(success);
    });

    it('a plain-HTTP response (no certificate) counts as 0 ms left', () => {
      const verdict = judge([cond('[CERTIFICATE_EXPIRATION] > 48h')], response(200), NOW, { compare: 'full' });
      expect(verdict).toMatchObject({
        status: 'down',
        error: { kind: 'conditions', message: '[CERTIFICATE_EXPIRATION] (0) > 48h' },
      });
    });
  });
});

describe('failedConditions', () => {
  it.each([
    {
      name: 'only the failed ones, each with its actual value',
      sources: ['[STATUS] == 200', '[BODY].status == UP', 'len([BODY].items) > 2'],
      ctx: { status: 500, body: '{"status":"UP","items":[1]}' },
      expected: ['[STATUS] (500) == 200', 'len([BODY].items) (1) > 2'],
    },
    {
      name: 'nothing when all pass',
      sources: ['[STATUS] == 200', '[RESPONSE_TIME] < 500'],
      ctx: { status: 200 },
      expected: [],
    },
    {
      name: 'an unresolved value is shown as missing',
      sources: ['[BODY].status == UP', '[HEADERS].etag == x'],
      ctx: { status: 200, body: 'not json' },
      expected: ['[BODY].status (missing) == UP', '[HEADERS].etag (missing) == x'],
    },
  ])('$name', ({ sources, ctx, expected }) => {
    const conditions = sources.map(cond);
    const results = evaluateConditions(conditions, { connected: true, responseTimeMs: 120, headers: {}, ...ctx });
    expect(failedConditions(conditions, results)).toEqual(expected);
  });

  it('skips a result that does not belong to the condition at the same index', () => {
    const conditions = ['[STATUS] == 200', '[STATUS] == 204'].map(cond);
    const results = [
      { condition: '[STATUS] == 204', success: false, actual: '500' },
      { condition: '[STATUS] == 204', success: false, actual: '500' },
    ];
    expect(failedConditions(conditions, results)).toEqual(['[STATUS] (500) == 204']);
  });
});
