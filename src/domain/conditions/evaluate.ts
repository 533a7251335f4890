import type { Condition, ConditionResult, LeftOperand, PathSegment, RightOperand } from './ast.js';
import { matchGlob } from './glob.js';
import { MAX_EVALUATED_LENGTH, seen, textOf, type Comparison, type Seen } from './view.js';

/** What a condition can look at: the outcome of the final attempt of a run. */
export interface ConditionContext {
  /** False when no HTTP response was received (connect error, timeout, TLS failure). */
  readonly connected: boolean;
  readonly status?: number;
  /** Duration of the final attempt, in milliseconds. */
  readonly responseTimeMs: number;
  /**
   * Response body as text (read only when a condition needs it). Only its first
   * `MAX_EVALUATED_LENGTH` characters (1 MiB) are looked at; a longer body is not parsed as JSON.
   */
  readonly body?: string;
  /** Response headers, names lower-cased. */
  readonly headers: Readonly<Record<string, string>>;
  /** Time left before the server certificate expires, in milliseconds; absent for plain HTTP. */
  readonly certificateExpiresInMs?: number;
  /** Secret values (from `hiddenForms`), masked before anything is compared or shown; a target may echo one. */
  readonly hidden?: readonly string[];
  /** What `==`, `!=` and the ordering operators compare (`Comparison`). Default `shown`, the safe one. */
  readonly compare?: Comparison;
}

type Value = string | number | boolean | null | undefined | object;

const MISSING = Symbol('missing');

/**
 * Evaluates every condition against one context. The body is parsed as JSON at most once, and only
 * when it is within `MAX_EVALUATED_LENGTH`. Every result depends on its `actual` alone when
 * `compare` is `shown`, so a condition cannot be used to learn more than the run shows.
 */
export function evaluateConditions(conditions: readonly Condition[], context: ConditionContext): ConditionResult[] {
  let json: unknown = MISSING;
  const parsedBody = (): unknown => {
    if (json === MISSING) {
      try {
        const { body } = context;
        json = body === undefined || body.length > MAX_EVALUATED_LENGTH ? undefined : JSON.parse(body);
      } catch {
        json = undefined;
      }
    }
    return json;
  };
  const hidden = context.hidden ?? [];
  return conditions.map((condition) => {
    const value = resolve(condition.left, context, parsedBody);
    const view = value === undefined ? undefined : seen(condition.left, value, hidden);
    return {
      condition: condition.source,
      success: view !== undefined && compare(value, view, context.compare ?? 'shown', condition),
      actual: view === undefined ? null : view.shown,
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
    // A text is counted as shown (secrets masked), so len() tells no secret's length.
    if (typeof value === 'string') return seen(left.of, value, context.hidden ?? [])?.full.length;
    if (Array.isArray(value)) return value.length;
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

function compare(value: Value, view: Seen, comparison: Comparison, condition: Condition): boolean {
  const { operator, right } = condition;
  const text = comparison === 'shown' ? view.shown : view.full;
  if (operator === '==' || operator === '!=') {
    const equal = matches(text, right);
    return operator === '==' ? equal : !equal;
  }
  // A number compares as one unless masking or truncating changed its text.
  const number = typeof value === 'number' && text === textOf(value) ? value : Number(text);
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

function matches(text: string, right: RightOperand): boolean {
  if (right.type === 'pattern') return matchGlob(right.parts, text);
  if (right.type === 'any') return right.values.some((value) => same(text, value));
  return same(text, right.text);
}

/** Equal as text, or as numbers when both sides are numeric (`200` == `200.0`). */
function same(actual: string, expected: string): boolean {
  if (actual === expected) return true;
  const a = Number(actual);
  const b = Number(expected);
  return actual.trim() !== '' && expected.trim() !== '' && !Number.isNaN(a) && a === b;
}
