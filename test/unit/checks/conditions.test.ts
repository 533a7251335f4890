import { describe, expect, it } from 'vitest';
import {
  describeResult,
  evaluateConditions,
  matchGlob,
  needsBody,
  parseCondition,
  toNumber,
  type Condition,
  type ConditionContext,
} from '../../../src/domain/conditions/index.js';

function cond(source: string): Condition {
  const parsed = parseCondition(source);
  if (typeof parsed === 'string') throw new Error(`test setup: ${parsed}`);
  return parsed;
}

const context = (overrides: Partial<ConditionContext> = {}): ConditionContext => ({
  connected: true,
  status: 200,
  responseTimeMs: 120,
  headers: {},
  ...overrides,
});

const HOUR = 3_600_000;

const json = (value: unknown): string => JSON.stringify(value);

describe('parseCondition: valid conditions', () => {
  it.each([
    {
      source: '[STATUS] == 200',
      leftText: '[STATUS]',
      left: { type: 'placeholder', name: 'STATUS', path: [] },
      operator: '==',
      right: { type: 'literal', text: '200', number: 200 },
    },
    {
      source: '[STATUS] < 300',
      leftText: '[STATUS]',
      left: { type: 'placeholder', name: 'STATUS', path: [] },
      operator: '<',
      right: { type: 'literal', text: '300', number: 300 },
    },
    {
      source: '[RESPONSE_TIME] <= 500',
      leftText: '[RESPONSE_TIME]',
      left: { type: 'placeholder', name: 'RESPONSE_TIME', path: [] },
      operator: '<=',
      right: { type: 'literal', text: '500', number: 500 },
    },
    {
      source: '[BODY].status == UP',
      leftText: '[BODY].status',
      left: { type: 'placeholder', name: 'BODY', path: ['status'] },
      operator: '==',
      right: { type: 'literal', text: 'UP' },
    },
    {
      source: '[BODY].data[0].id == 1',
      leftText: '[BODY].data[0].id',
      left: { type: 'placeholder', name: 'BODY', path: ['data', 0, 'id'] },
      operator: '==',
      right: { type: 'literal', text: '1', number: 1 },
    },
    {
      source: '[BODY][0] == x',
      leftText: '[BODY][0]',
      left: { type: 'placeholder', name: 'BODY', path: [0] },
      operator: '==',
      right: { type: 'literal', text: 'x' },
    },
    {
      source: '[HEADERS].content-type == pat(application/json*)',
      leftText: '[HEADERS].content-type',
      left: { type: 'placeholder', name: 'HEADERS', path: ['content-type'] },
      operator: '==',
      right: { type: 'pattern', glob: 'application/json*' },
    },
    {
      source: '[HEADERS].X-Request-Id != abc',
      leftText: '[HEADERS].X-Request-Id',
      left: { type: 'placeholder', name: 'HEADERS', path: ['x-request-id'] }, // lower-cased
      operator: '!=',
      right: { type: 'literal', text: 'abc' },
    },
    {
      source: 'len([BODY].items) > 2',
      leftText: 'len([BODY].items)',
      left: { type: 'len', of: { type: 'placeholder', name: 'BODY', path: ['items'] } },
      operator: '>',
      right: { type: 'literal', text: '2', number: 2 },
    },
    {
      source: 'has([BODY].errors) == false',
      leftText: 'has([BODY].errors)',
      left: { type: 'has', of: { type: 'placeholder', name: 'BODY', path: ['errors'] } },
      operator: '==',
      right: { type: 'literal', text: 'false' },
    },
    {
      source: '[STATUS] == any(200, 204)',
      leftText: '[STATUS]',
      left: { type: 'placeholder', name: 'STATUS', path: [] },
      operator: '==',
      right: { type: 'any', values: ['200', '204'] },
    },
    {
      source: '[CERTIFICATE_EXPIRATION] > 48h',
      leftText: '[CERTIFICATE_EXPIRATION]',
      left: { type: 'placeholder', name: 'CERTIFICATE_EXPIRATION', path: [] },
      operator: '>',
      right: { type: 'literal', text: '48h', number: 48 * HOUR },
    },
    {
      source: '[CONNECTED] == true',
      leftText: '[CONNECTED]',
      left: { type: 'placeholder', name: 'CONNECTED', path: [] },
      operator: '==',
      right: { type: 'literal', text: 'true' },
    },
    {
      source: '[RESPONSE_TIME] >= 1.5s',
      leftText: '[RESPONSE_TIME]',
      left: { type: 'placeholder', name: 'RESPONSE_TIME', path: [] },
      operator: '>=',
      right: { type: 'literal', text: '1.5s', number: 1_500 },
    },
  ])('$source', ({ source, leftText, left, operator, right }) => {
    const parsed = parseCondition(source);
    expect(typeof parsed).not.toBe('string');
    const condition = parsed as Condition;
    expect(condition).toMatchObject({ source, leftText, left, operator, right });
    expect(condition.rightText).toBe(source.slice(source.indexOf(operator) + operator.length).trim());
  });

  it('trims the condition and tolerates extra spaces around the operator', () => {
    expect(parseCondition('  [STATUS]   ==   200  ')).toMatchObject({
      source: '[STATUS]   ==   200',
      leftText: '[STATUS]',
      operator: '==',
      rightText: '200',
      right: { type: 'literal', text: '200', number: 200 },
    });
  });

  it.each([
    { glob: 'application/json*', matches: ['application/json', 'application/json; charset=utf-8'], rejects: ['text/application/json', 'application/xml'] },
    { glob: 'a.b', matches: ['a.b'], rejects: ['axb', 'a.bc'] },
    { glob: '1+1', matches: ['1+1'], rejects: ['11', '111'] },
    { glob: '*', matches: ['', 'anything', 'two\nlines'], rejects: [] },
  ])('pat($glob) matches the whole text, every character but * literal', ({ glob, matches, rejects }) => {
    const { right } = cond(`[BODY] == pat(${glob})`);
    expect(right).toEqual({ type: 'pattern', glob, parts: glob.split('*') });
    const { parts } = right as Extract<typeof right, { type: 'pattern' }>;
    for (const text of matches) expect(matchGlob(parts, text), text).toBe(true);
    for (const text of rejects) expect(matchGlob(parts, text), text).toBe(false);
  });
});

describe('parseCondition: invalid conditions', () => {
  it.each([
    {
      source: '[STAUTS] == 200',
      message:
        '"[STAUTS] == 200": unknown placeholder [STAUTS] (expected one of [STATUS], [RESPONSE_TIME], [BODY], [HEADERS], [CERTIFICATE_EXPIRATION], [CONNECTED])',
    },
    {
      source: '[STATUS]==200',
      message: '"[STATUS]==200" has no operator (expected <placeholder> <operator> <value>, with one of == != <= >= < > between spaces)',
    },
    {
      source: '[STATUS] 200',
      message: '"[STATUS] 200" has no operator (expected <placeholder> <operator> <value>, with one of == != <= >= < > between spaces)',
    },
    {
      source: '[BODY].a[x] == 1',
      message: '"[BODY].a[x] == 1": bad JSON path ".a[x]" (expected .key or [index] segments, e.g. [BODY].data[0].status)',
    },
    {
      source: '[BODY].a..b == 1',
      message: '"[BODY].a..b == 1": bad JSON path ".a..b" (expected .key or [index] segments, e.g. [BODY].data[0].status)',
    },
    { source: '[BODY] < pat(x*)', message: '"[BODY] < pat(x*)": pat() only works with == and !=' },
    { source: '[STATUS] >= any(200, 204)', message: '"[STATUS] >= any(200, 204)": any() only works with == and !=' },
    {
      source: '[STATUS] < abc',
      message: '"[STATUS] < abc": "abc" is not a number or a duration (expected e.g. 500, 2s, 48h after <)',
    },
    { source: 'len([STATUS]) > 1', message: '"len([STATUS]) > 1": len() applies to [BODY] or [HEADERS], not [STATUS]' },
    { source: 'has([CONNECTED]) == true', message: '"has([CONNECTED]) == true": has() applies to [BODY] or [HEADERS], not [CONNECTED]' },
    { source: '[CONNECTED] < 1', message: '"[CONNECTED] < 1": a true/false value only works with == and !=' },
    { source: '[CONNECTED] == yes', message: '"[CONNECTED] == yes": expected true or false on the right' },
    { source: 'has([BODY].x) == 1', message: '"has([BODY].x) == 1": expected true or false on the right' },
    { source: '[HEADERS] == x', message: '"[HEADERS] == x": [HEADERS] needs a header name, e.g. [HEADERS].content-type' },
    { source: '[STATUS].x == 1', message: '"[STATUS].x == 1": [STATUS] takes no path (got ".x")' },
    {
      source: '[STATUS] == any(200,,204)',
      message: '"[STATUS] == any(200,,204)": any() needs a comma-separated list of values, e.g. any(200, 204)',
    },
    {
      source: 'STATUS == 200',
      message: '"STATUS == 200": left side "STATUS" must be a placeholder such as [STATUS] or a function such as len([BODY].items)',
    },
  ])('$source', ({ source, message }) => {
    expect(parseCondition(source)).toBe(message);
  });
});

describe('toNumber', () => {
  it.each([
    { text: '200', expected: 200 },
    { text: '-5', expected: -5 },
    { text: '0.25', expected: 0.25 },
    { text: '500ms', expected: 500 },
    { text: '2s', expected: 2_000 },
    { text: '48h', expected: 48 * HOUR },
    { text: 'abc', expected: undefined },
    { text: '1e3', expected: undefined },
    { text: '', expected: undefined },
  ])('"$text" → $expected', ({ text, expected }) => {
    expect(toNumber(text)).toBe(expected);
  });
});

describe('evaluateConditions', () => {
  const body = json({
    status: 'UP',
    version: '200.0',
    count: '3',
    nothing: null,
    data: [{ id: 1, name: 'first' }, { id: 2 }],
    items: [1, 2, 3],
    name: 'pulse',
    meta: { a: 1, b: 2 },
    nested: { deeper: { ok: true } },
    empty: [],
  });

  it.each([
    // [STATUS]
    { source: '[STATUS] == 200', ctx: { status: 200 }, success: true, actual: '200' },
    { source: '[STATUS] == 200', ctx: { status: 503 }, success: false, actual: '503' },
    { source: '[STATUS] != 200', ctx: { status: 503 }, success: true, actual: '503' },
    { source: '[STATUS] != 200', ctx: { status: 200 }, success: false, actual: '200' },
    { source: '[STATUS] < 300', ctx: { status: 299 }, success: true, actual: '299' },
    { source: '[STATUS] < 300', ctx: { status: 300 }, success: false, actual: '300' },
    { source: '[STATUS] >= 500', ctx: { status: 500 }, success: true, actual: '500' },
    { source: '[STATUS] == 200.0', ctx: { status: 200 }, success: true, actual: '200' }, // numeric equality
    { source: '[STATUS] == 200', ctx: { connected: false, status: undefined }, success: false, actual: null },
    { source: '[STATUS] == any(200, 204)', ctx: { status: 204 }, success: true, actual: '204' },
    { source: '[STATUS] == any(200, 204)', ctx: { status: 500 }, success: false, actual: '500' },
    { source: '[STATUS] != any(500, 503)', ctx: { status: 200 }, success: true, actual: '200' },
    { source: '[STATUS] != any(500, 503)', ctx: { status: 503 }, success: false, actual: '503' },
    // [RESPONSE_TIME]
    { source: '[RESPONSE_TIME] <= 500', ctx: { responseTimeMs: 500 }, success: true, actual: '500' },
    { source: '[RESPONSE_TIME] <= 500', ctx: { responseTimeMs: 501 }, success: false, actual: '501' },
    { source: '[RESPONSE_TIME] < 1s', ctx: { responseTimeMs: 999 }, success: true, actual: '999' },
    { source: '[RESPONSE_TIME] > 2s', ctx: { responseTimeMs: 2_000 }, success: false, actual: '2000' },
    // [BODY] JSON paths
    { source: '[BODY].status == UP', ctx: { body }, success: true, actual: 'UP' },
    { source: '[BODY].status == DOWN', ctx: { body }, success: false, actual: 'UP' },
    { source: '[BODY].status == up', ctx: { body }, success: false, actual: 'UP' }, // case-sensitive
    { source: '[BODY].version == 200', ctx: { body }, success: true, actual: '200.0' }, // '200.0' equals 200
    { source: '[BODY].count > 2', ctx: { body }, success: true, actual: '3' }, // numeric string ordered as number
    { source: '[BODY].data[0].id == 1', ctx: { body }, success: true, actual: '1' },
    { source: '[BODY].data[1].id == 1', ctx: { body }, success: false, actual: '2' },
    { source: '[BODY].data[0].name == first', ctx: { body }, success: true, actual: 'first' },
    { source: '[BODY].nested.deeper.ok == true', ctx: { body }, success: true, actual: 'true' },
    { source: '[BODY].meta == {"a":1,"b":2}', ctx: { body }, success: true, actual: '{"a":1,"b":2}' },
    { source: '[BODY].nothing == null', ctx: { body }, success: true, actual: 'null' }, // JSON null is a value
    { source: '[BODY].missing == 1', ctx: { body }, success: false, actual: null },
    { source: '[BODY].missing != 1', ctx: { body }, success: false, actual: null }, // unresolved never succeeds
    { source: '[BODY].data[5].id == 1', ctx: { body }, success: false, actual: null },
    { source: '[BODY].status.deeper == x', ctx: { body }, success: false, actual: null }, // path through a string
    { source: '[BODY][1] == b', ctx: { body: json(['a', 'b']) }, success: true, actual: 'b' },
    { source: '[BODY][0].id == 7', ctx: { body: json([{ id: 7 }]) }, success: true, actual: '7' },
    { source: '[BODY].status == UP', ctx: { body: 'status: UP' }, success: false, actual: null }, // not JSON
    { source: '[BODY].status == UP', ctx: { body: '' }, success: false, actual: null },
    { source: '[BODY].status == UP', ctx: {}, success: false, actual: null }, // body not read
    // [BODY] as whole text
    { source: '[BODY] == OK', ctx: { body: 'OK' }, success: true, actual: 'OK' },
    { source: '[BODY] == OK', ctx: { body: 'OK!' }, success: false, actual: 'OK!' },
    { source: '[BODY] == {"a":1}', ctx: { body: '{"a":1}' }, success: true, actual: '{"a":1}' },
    { source: '[BODY] < 5', ctx: { body: '3' }, success: true, actual: '3' },
    { source: '[BODY] < 5', ctx: { body: '' }, success: false, actual: '' }, // empty is not a number
    // pat()
    { source: '[BODY] == pat(*healthy*)', ctx: { body: 'all systems healthy today' }, success: true, actual: 'all systems healthy today' },
    { source: '[BODY] == pat(*healthy*)', ctx: { body: 'line 1\nhealthy\nline 3' }, success: true, actual: 'line 1\nhealthy\nline 3' },
    { source: '[BODY] == pat(healthy)', ctx: { body: 'not healthy' }, success: false, actual: 'not healthy' }, // anchored
    { source: '[BODY] == pat(healthy*)', ctx: { body: 'unhealthy' }, success: false, actual: 'unhealthy' }, // anchored at start
    { source: '[BODY] == pat(*ok)', ctx: { body: 'ok?' }, success: false, actual: 'ok?' }, // anchored at end
    { source: '[BODY] == pat(v1.2*)', ctx: { body: 'v1.2.3' }, success: true, actual: 'v1.2.3' },
    { source: '[BODY] == pat(v1.2*)', ctx: { body: 'v152' }, success: false, actual: 'v152' }, // '.' is literal
    { source: '[BODY] == pat(a+b)', ctx: { body: 'aab' }, success: false, actual: 'aab' }, // '+' is literal
    { source: '[BODY] == pat(a+b)', ctx: { body: 'a+b' }, success: true, actual: 'a+b' },
    { source: '[BODY] == pat((x)?)', ctx: { body: 'x' }, success: false, actual: 'x' }, // '(', ')', '?' literal
    { source: '[BODY] == pat((x)?)', ctx: { body: '(x)?' }, success: true, actual: '(x)?' },
    { source: '[BODY] == pat([ab])', ctx: { body: 'a' }, success: false, actual: 'a' }, // '[', ']' literal
    { source: '[BODY] == pat($^|\\)', ctx: { body: '$^|\\' }, success: true, actual: '$^|\\' },
    { source: '[BODY].status != pat(DOWN*)', ctx: { body }, success: true, actual: 'UP' },
    { source: '[BODY].status != pat(U*)', ctx: { body }, success: false, actual: 'UP' },
    // any() on text
    { source: '[BODY].status == any(UP, DEGRADED)', ctx: { body }, success: true, actual: 'UP' },
    { source: '[BODY].status == any(DOWN, DEGRADED)', ctx: { body }, success: false, actual: 'UP' },
    // len()
    { source: 'len([BODY].items) > 2', ctx: { body }, success: true, actual: '3' },
    { source: 'len([BODY].items) > 3', ctx: { body }, success: false, actual: '3' },
    { source: 'len([BODY].empty) == 0', ctx: { body }, success: true, actual: '0' },
    { source: 'len([BODY].name) == 5', ctx: { body }, success: true, actual: '5' }, // string length
    { source: 'len([BODY].meta) == 2', ctx: { body }, success: true, actual: '2' }, // object key count
    { source: 'len([BODY]) == 4', ctx: { body: 'abcd' }, success: true, actual: '4' }, // whole text length
    { source: 'len([BODY].data[0].id) == 1', ctx: { body }, success: false, actual: null }, // a number has no length
    { source: 'len([BODY].missing) == 0', ctx: { body }, success: false, actual: null },
    { source: 'len([HEADERS].etag) == 6', ctx: { headers: { etag: '"abcd"' } }, success: true, actual: '6' },
    // has()
    { source: 'has([BODY].errors) == false', ctx: { body }, success: true, actual: 'false' },
    { source: 'has([BODY].errors) == false', ctx: { body: json({ errors: ['boom'] }) }, success: false, actual: 'true' },
    { source: 'has([BODY].status) == true', ctx: { body }, success: true, actual: 'true' },
    { source: 'has([BODY].nothing) == true', ctx: { body }, success: true, actual: 'true' }, // present, even if null
    { source: 'has([BODY].status) == true', ctx: { body: 'not json' }, success: false, actual: 'false' },
    { source: 'has([HEADERS].x-request-id) == true', ctx: { headers: { 'x-request-id': 'r1' } }, success: true, actual: 'true' },
    { source: 'has([HEADERS].x-request-id) != true', ctx: { headers: {} }, success: true, actual: 'false' },
    // [HEADERS]
    { source: '[HEADERS].content-type == pat(application/json*)', ctx: { headers: { 'content-type': 'application/json; charset=utf-8' } }, success: true, actual: 'application/json; charset=utf-8' },
    { source: '[HEADERS].Content-Type == pat(application/json*)', ctx: { headers: { 'content-type': 'application/json' } }, success: true, actual: 'application/json' },
    { source: '[HEADERS].content-type == pat(application/json*)', ctx: { headers: { 'content-type': 'text/html' } }, success: false, actual: 'text/html' },
    { source: '[HEADERS].content-type == text/html', ctx: { headers: {} }, success: false, actual: null },
    { source: '[HEADERS].x-count >= 10', ctx: { headers: { 'x-count': '10' } }, success: true, actual: '10' },
    // [CERTIFICATE_EXPIRATION]
    { source: '[CERTIFICATE_EXPIRATION] > 48h', ctx: { certificateExpiresInMs: 48 * HOUR + 1 }, success: true, actual: String(48 * HOUR + 1) },
    { source: '[CERTIFICATE_EXPIRATION] > 48h', ctx: { certificateExpiresInMs: 48 * HOUR }, success: false, actual: String(48 * HOUR) },
    { source: '[CERTIFICATE_EXPIRATION] > 48h', ctx: { certificateExpiresInMs: 10 * 24 * HOUR }, success: true, actual: '864000000' },
    { source: '[CERTIFICATE_EXPIRATION] > 48h', ctx: { certificateExpiresInMs: -HOUR }, success: false, actual: '-3600000' }, // expired
    { source: '[CERTIFICATE_EXPIRATION] > 48h', ctx: {}, success: false, actual: '0' }, // plain HTTP: 0
    { source: '[CERTIFICATE_EXPIRATION] >= 7d', ctx: { certificateExpiresInMs: 7 * 24 * HOUR }, success: true, actual: '604800000' },
    // [CONNECTED]
    { source: '[CONNECTED] == true', ctx: { connected: true }, success: true, actual: 'true' },
    { source: '[CONNECTED] == true', ctx: { connected: false, status: undefined }, success: false, actual: 'false' },
    { source: '[CONNECTED] == false', ctx: { connected: false, status: undefined }, success: true, actual: 'false' },
    { source: '[CONNECTED] != true', ctx: { connected: true }, success: false, actual: 'true' },
  ])('$source with $ctx → success $success, actual $actual', ({ source, ctx, success, actual }) => {
    const [result] = evaluateConditions([cond(source)], context(ctx as Partial<ConditionContext>));
    expect(result).toEqual({ condition: source, success, actual });
  });

  it('evaluates every condition, in order, against the same context', () => {
    const conditions = ['[STATUS] == 200', '[BODY].status == UP', 'len([BODY].items) == 2', '[RESPONSE_TIME] < 100'].map(cond);
    expect(evaluateConditions(conditions, context({ status: 200, responseTimeMs: 150, body: json({ status: 'UP', items: [1, 2] }) }))).toEqual([
      { condition: '[STATUS] == 200', success: true, actual: '200' },
      { condition: '[BODY].status == UP', success: true, actual: 'UP' },
      { condition: 'len([BODY].items) == 2', success: true, actual: '2' },
      { condition: '[RESPONSE_TIME] < 100', success: false, actual: '150' },
    ]);
  });

  it('returns no results for no conditions', () => {
    expect(evaluateConditions([], context())).toEqual([]);
  });

  it('shows at most 200 characters of a long actual value, then an ellipsis', () => {
    const long = 'x'.repeat(250);
    const [result] = evaluateConditions([cond('[BODY] == short')], context({ body: long }));
    expect(result).toEqual({ condition: '[BODY] == short', success: false, actual: `${'x'.repeat(200)}…` });
  });

  // Only the document's own keys count: `constructor` or `toString` must not find Object.prototype.
  it.each([
    { source: 'has([BODY].constructor) == false', ctx: { body: json({ status: 'UP' }) }, success: true, actual: 'false' },
    { source: '[BODY].toString == x', ctx: { body: json({ status: 'UP' }) }, success: false, actual: null },
    { source: 'has([HEADERS].constructor) == false', ctx: { headers: {} }, success: true, actual: 'false' },
  ])('$source resolves only the document\'s own keys', ({ source, ctx, success, actual }) => {
    const [result] = evaluateConditions([cond(source)], context(ctx as Partial<ConditionContext>));
    expect(result).toEqual({ condition: source, success, actual });
  });
});

describe('describeResult', () => {
  it.each([
    { source: '[STATUS] == 200', ctx: { status: 503 }, expected: '[STATUS] (503) == 200' },
    { source: '[STATUS]   <   300', ctx: { status: 404 }, expected: '[STATUS] (404) < 300' },
    { source: '[RESPONSE_TIME] <= 500', ctx: { responseTimeMs: 750 }, expected: '[RESPONSE_TIME] (750) <= 500' },
    { source: '[BODY].status == UP', ctx: { body: json({ status: 'DOWN' }) }, expected: '[BODY].status (DOWN) == UP' },
    { source: '[BODY].status == UP', ctx: { body: json({}) }, expected: '[BODY].status (missing) == UP' },
    { source: '[STATUS] == 200', ctx: { connected: false, status: undefined }, expected: '[STATUS] (missing) == 200' },
    { source: 'len([BODY].items) > 2', ctx: { body: json({ items: [1] }) }, expected: 'len([BODY].items) (1) > 2' },
    { source: '[HEADERS].Content-Type == pat(application/json*)', ctx: { headers: { 'content-type': 'text/html' } }, expected: '[HEADERS].Content-Type (text/html) == pat(application/json*)' },
    { source: '[STATUS] == any(200, 204)', ctx: { status: 500 }, expected: '[STATUS] (500) == any(200, 204)' },
    { source: '[CERTIFICATE_EXPIRATION] > 48h', ctx: { certificateExpiresInMs: HOUR }, expected: '[CERTIFICATE_EXPIRATION] (3600000) > 48h' },
  ])('$expected', ({ source, ctx, expected }) => {
    const condition = cond(source);
    const [result] = evaluateConditions([condition], context(ctx as Partial<ConditionContext>));
    expect(describeResult(condition, result!)).toBe(expected);
  });
});

describe('needsBody', () => {
  it.each([
    { sources: [], expected: false },
    { sources: ['[STATUS] == 200'], expected: false },
    { sources: ['[STATUS] == 200', '[RESPONSE_TIME] < 500', '[HEADERS].etag == x', 'has([HEADERS].etag) == true'], expected: false },
    { sources: ['[CERTIFICATE_EXPIRATION] > 48h', '[CONNECTED] == true'], expected: false },
    { sources: ['[BODY] == OK'], expected: true },
    { sources: ['[STATUS] == 200', '[BODY].status == UP'], expected: true },
    { sources: ['len([BODY].items) > 2'], expected: true },
    { sources: ['has([BODY].errors) == false'], expected: true },
  ])('$sources → $expected', ({ sources, expected }) => {
    expect(needsBody(sources.map(cond))).toBe(expected);
  });
});
