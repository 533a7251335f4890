import { describe, expect, it } from 'vitest';
import {
  MAX_EVALUATED_LENGTH,
  MAX_SHOWN_LENGTH,
  evaluateConditions,
  parseCondition,
  type Comparison,
  type Condition,
} from '../../../src/domain/conditions/index.js';
import { comparisonFor, judge, type Attempt } from '../../../src/domain/outcome.js';
import { hiddenForms } from '../../../src/domain/redact.js';

function cond(source: string): Condition {
  const parsed = parseCondition(source);
  if (typeof parsed === 'string') throw new Error(`test setup: ${parsed}`);
  return parsed;
}

const response = (body: string, headers: Record<string, string> = {}): Attempt => ({
  type: 'response',
  status: 200,
  headers,
  body,
  timings: { dns: 0, connect: 0, tls: 0, firstByte: 1, total: 1 },
});

const SECRET = 'Zq7tK2mW9xB4nR8vL3pJ'; // 20 characters, as in the finding
const ALPHABET = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789=-_.:"{} ';

/**
 * The attack of the finding: one run per guess, `<left> == pat(<known><c>*)` for each character c,
 * keeping the one that matches, until none does. Returns what it recovered and how many runs it took.
 */
function attack(left: string, attempt: Attempt, options: { hidden?: readonly string[]; compare: Comparison }) {
  let known = '';
  let runs = 0;
  for (;;) {
    const next = [...ALPHABET].find((c) => {
      runs++;
      return judge([cond(`${left} == pat(${known}${c}*)`)], attempt, 0, options).success;
    });
    if (next === undefined) return { known, runs };
    known += next;
  }
}

const actualOf = (left: string, attempt: Attempt, options: { hidden?: readonly string[]; compare: Comparison }) =>
  judge([cond(`${left} == x`)], attempt, 0, options).conditions[0]?.actual as string;

describe('no value oracle: pat(a*), pat(b*), … learns nothing the run does not show', () => {
  it('the attack works on a value the run shows whole (so the cases below can fail)', () => {
    const attempt = response(`token=${SECRET}`);
    expect(attack('[BODY]', attempt, { compare: 'shown' })).toEqual({ known: `token=${SECRET}`, runs: expect.any(Number) });
  });

  it.each(['shown', 'full'] as const)('a secret the target echoes (masked as ***) is not recovered, compare %s', (compare) => {
    const attempt = response(`token=${SECRET}`);
    const options = { hidden: hiddenForms([SECRET]), compare };
    expect(actualOf('[BODY]', attempt, options)).toBe('token=***');
    const { known } = attack('[BODY]', attempt, options);
    expect(known).toBe('token=');
    expect(judge([cond(`[BODY] == token=${SECRET}`)], attempt, 0, options).success).toBe(false);
    expect(judge([cond(`[BODY] == pat(*${SECRET.slice(0, 4)}*)`)], attempt, 0, options).success).toBe(false);
  });

  it('a sandboxed job reads no further than the 200 characters shown of a 500-character body', () => {
    const body = `${'x'.repeat(250)}${SECRET}${'y'.repeat(230)}`;
    const attempt = response(body);
    const options = { compare: comparisonFor('api') };
    const actual = actualOf('[BODY]', attempt, options);
    expect(actual).toBe(`${'x'.repeat(MAX_SHOWN_LENGTH)}…`);
    const { known } = attack('[BODY]', attempt, options);
    expect(known).toBe('x'.repeat(MAX_SHOWN_LENGTH));
    expect(actual.startsWith(known)).toBe(true);
    // Nor do the other right sides: the whole body, a middle part, a suffix, any().
    for (const source of [`[BODY] == ${body}`, `[BODY] == pat(*${SECRET}*)`, `[BODY] == pat(*y)`, `[BODY] == any(${body}, x)`, `[BODY] != pat(*${SECRET}*)`]) {
      expect(judge([cond(source)], attempt, 0, options).success, source).toBe(source.includes('!='));
    }
  });

  it('a sandboxed job cannot read a JSON value past the shown 200 characters either', () => {
    const attempt = response(JSON.stringify({ token: `${'x'.repeat(210)}${SECRET}` }));
    const options = { compare: 'shown' } as const;
    expect(attack('[BODY].token', attempt, options).known).toBe('x'.repeat(MAX_SHOWN_LENGTH));
  });

  it.each(['shown', 'full'] as const)('a credential response header (shown as ***) is not recovered, compare %s', (compare) => {
    const attempt = response('ok', { authorization: `Bearer ${SECRET}`, 'set-cookie': `session=${SECRET}` });
    for (const left of ['[HEADERS].authorization', '[HEADERS].set-cookie']) {
      expect(actualOf(left, attempt, { compare })).toBe('***');
      expect(attack(left, attempt, { compare }).known).toBe('');
      expect(judge([cond(`${left} == pat(*${SECRET}*)`)], attempt, 0, { compare }).success).toBe(false);
      expect(judge([cond(`len(${left}) == 3`)], attempt, 0, { compare }).success).toBe(true); // counted as shown
      expect(judge([cond(`has(${left}) == true`)], attempt, 0, { compare }).success).toBe(true);
    }
  });

  it('jobs of the jobs file still match a marker past character 200, and show only 200', () => {
    const attempt = response(`${'x'.repeat(300)}MARKER-OK${'y'.repeat(100)}`);
    const verdict = judge([cond('[BODY] == pat(*MARKER-OK*)'), cond('len([BODY]) == 409')], attempt, 0, { compare: comparisonFor('config') });
    expect(verdict.status).toBe('up');
    expect(verdict.conditions[0]?.actual).toBe(`${'x'.repeat(MAX_SHOWN_LENGTH)}…`);
    // The same condition in a sandboxed job does not see the marker.
    expect(judge([cond('[BODY] == pat(*MARKER-OK*)')], attempt, 0, { compare: 'shown' }).status).toBe('down');
  });

  it.each([
    { source: '[BODY] < 5', body: '3', compare: 'shown', success: true },
    { source: '[BODY].n >= 10', body: '{"n":12}', compare: 'shown', success: true },
    { source: '[BODY] > 1', body: `1${'0'.repeat(300)}`, compare: 'shown', success: false }, // shown cut: not a number
    { source: '[BODY] > 1', body: `1${'0'.repeat(300)}`, compare: 'full', success: true },
    { source: '[BODY].n > 1', body: '{"n":12345678}', compare: 'full', success: false }, // masked: ***
  ] as const)('$source on $compare → $success (a number compares as shown)', ({ source, body, compare, success }) => {
    expect(judge([cond(source)], response(body), 0, { hidden: hiddenForms(['12345678']), compare }).success).toBe(success);
  });
});

describe('bounded evaluation', () => {
  const context = (body: string, compare: Comparison = 'full') => ({ connected: true, responseTimeMs: 1, headers: {}, body, compare });

  it(`looks at no more than ${MAX_EVALUATED_LENGTH} characters of a body`, () => {
    const body = `${'a'.repeat(MAX_EVALUATED_LENGTH)}END`;
    const [whole, cut, length] = evaluateConditions([cond('[BODY] == pat(*END)'), cond('[BODY] == pat(a*a)'), cond('len([BODY]) == 1048576')], context(body));
    expect([whole?.success, cut?.success, length?.success]).toEqual([false, true, true]);
  });

  it('does not parse a body over the bound as JSON', () => {
    const body = JSON.stringify({ status: 'UP', pad: 'p'.repeat(MAX_EVALUATED_LENGTH) });
    expect(evaluateConditions([cond('[BODY].status == UP')], context(body))[0]).toMatchObject({ success: false, actual: null });
    expect(evaluateConditions([cond('[BODY].status == UP')], context(body.slice(0, 40).replace(/,"pad.*/, '}')))[0]?.success).toBe(true);
  });

  it('JSON too deep to write back is a missing value, not a RangeError', () => {
    const depth = 200_000;
    const body = `${'['.repeat(depth)}${']'.repeat(depth)}`;
    const results = evaluateConditions([cond('[BODY][0] == x'), cond('has([BODY][0]) == true'), cond('len([BODY][0]) == 1')], context(body));
    expect(results.map((r) => [r.success, r.actual])).toEqual([
      [false, null],
      [true, 'true'],
      [true, '1'],
    ]);
  });
});
