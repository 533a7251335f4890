import { MASK, SENSITIVE_HEADERS, scrub } from '../redact.js';
import type { Condition, ConditionResult, LeftOperand, PathSegment, RightOperand } from './ast.js';

/** What a condition can look at: the outcome of the final attempt of a run. */
export interface ConditionContext {
  /** False when no HTTP response was received (connect error, timeout, TLS failure). */
  readonly connected: boolean;
  readonly status?: number;
  /** Duration of the final attempt, in milliseconds. */
  readonly responseTimeMs: number;
  /** Response body as text (read only when a condition needs it). */
  readonly body?: string;
  /** Response headers, names lower-cased. */
  readonly headers: Readonly<Record<string, string>>;
  /** Time left before the server certificate expires, in milliseconds; absent for plain HTTP. */
  readonly certificateExpiresInMs?: number;
  /** Secret values (from `hiddenForms`) masked in the actual values shown; a target may echo one. */
  readonly hidden?: readonly string[];
}

type Value = string | number | boolean | null | undefined | object;

const MISSING = Symbol('missing');

/** Evaluates every condition against one context. The body is parsed as JSON at most once. */
export function evaluateConditions(
  conditions: readonly Condition[],
  context: ConditionContext,
): ConditionResult[] {
  let json: unknown = MISSING;
  const parsedBody = (): unknown => {
    if (json === MISSING) {
      try {
        json = context.body === undefined ? undefined : JSON.parse(context.body);
      } catch {
        json = undefined;
      }
    }
    return json;
  };
  return conditions.map((condition) => {
    const actual = resolve(condition.left, context, parsedBody);
    return {
      condition: condition.source,
      success: actual !== undefined && compare(actual, condition.operator, condition.right),
      actual: actual === undefined ? null : show(condition.left, actual, context.hidden),
    };
  });
}

/** `[STATUS] (503) == 200`: the condition with the actual value after its left side. */
export function describeResult(condition: Condition, result: ConditionResult): string {
  const actual = result.actual === null ? 'missing' : result.actual;
  return `${condition.leftText} (${actual}) ${condition.operator} ${condition.rightText}`;
}

function resolve(left: LeftOperand, context: ConditionContext, parsedBody: () => unknown): Value {
  if (left.type === 'has') return resolve(left.of, context, parsedBody) !== undefined;
  if (left.type === 'len') {
    const value = resolve(left.of, context, parsedBody);
    if (typeof value === 'string' || Array.isArray(value)) return value.length;
    if (value !== null && typeof value === 'object') return Object.keys(value).length;
    return undefined;
  }
  switch (left.name) {
    case 'STATUS':
      return context.status;
    case 'RESPONSE_TIME':
      return context.responseTimeMs;
    case 'CONNECTED':
      return context.connected;
    case 'CERTIFICATE_EXPIRATION':
      return context.certificateExpiresInMs ?? 0;
    case 'HEADERS': {
      const name = left.path[0] as string;
      return Object.hasOwn(context.headers, name) ? context.headers[name] : undefined;
    }
    case 'BODY':
      return left.path.length === 0 ? context.body : (walk(parsedBody(), left.path) as Value);
  }
}

function walk(value: unknown, path: readonly PathSegment[]): unknown {
  let current = value;
  for (const segment of path) {
    // Own properties only: `[BODY].constructor` must not find Object.prototype.constructor.
    if (current === null || typeof current !== 'object' || !Object.hasOwn(current, segment)) return undefined;
    current = (current as Record<string | number, unknown>)[segment];
  }
  return current;
}

function compare(actual: Exclude<Value, undefined>, operator: Condition['operator'], right: RightOperand): boolean {
  const text = typeof actual === 'object' && actual !== null ? JSON.stringify(actual) : String(actual);
  if (operator === '==' || operator === '!=') {
    const equal =
      right.type === 'pattern'
        ? right.regex.test(text)
        : right.type === 'any'
          ? right.values.some((value) => same(text, value))
          : same(text, right.text);
    return operator === '==' ? equal : !equal;
  }
  const number = typeof actual === 'number' ? actual : Number(text);
  const limit = right.type === 'literal' ? right.number : undefined;
  if (Number.isNaN(number) || text.trim() === '' || limit === undefined) return false;
  switch (operator) {
    case '<':
      return number < limit;
    case '<=':
      return number <= limit;
    case '>':
      return number > limit;
    case '>=':
      return number >= limit;
  }
}

/** Equal as text, or as numbers when both sides are numeric (`200` == `200.0`). */
function same(actual: string, expected: string): boolean {
  if (actual === expected) return true;
  const a = Number(actual);
  const b = Number(expected);
  return actual.trim() !== '' && expected.trim() !== '' && !Number.isNaN(a) && a === b;
}

const MAX_SHOWN = 200;
/** The actual value as text: credential headers masked, secret values masked before truncating. */
function show(left: LeftOperand, value: Exclude<Value, undefined>, hidden: readonly string[] = []): string {
  if (left.type === 'placeholder' && left.name === 'HEADERS' && SENSITIVE_HEADERS.has(left.path[0] as string)) return MASK;
  const text = scrub(typeof value === 'object' && value !== null ? JSON.stringify(value) : String(value), hidden);
  return text.length > MAX_SHOWN ? `${text.slice(0, MAX_SHOWN)}…` : text;
}
