import { parseDuration } from '../schedule.js';
import {
  OPERATORS,
  PLACEHOLDERS,
  type Condition,
  type LeftOperand,
  type Operator,
  type PathSegment,
  type PlaceholderName,
  type PlaceholderOperand,
  type RightOperand,
} from './ast.js';
import { globParts } from './glob.js';
import { splitOnOperator } from './split.js';

/**
 * Longest condition accepted, in characters (1,000). Conditions are short; the bound keeps parsing
 * and `pat()` matching of text a caller wrote cheap whatever it holds.
 */
export const MAX_CONDITION_LENGTH = 1_000;

/** Parses one condition into its tree; returns an error sentence when it is not valid. */
export function parseCondition(source: string): Condition | string {
  if (source.length > MAX_CONDITION_LENGTH) {
    return `a condition is at most ${MAX_CONDITION_LENGTH} characters long (this one has ${source.length})`;
  }
  const text = source.trim();
  const split = splitOnOperator(text);
  if (!split) {
    return `"${source}" has no operator (expected <placeholder> <operator> <value>, with one of ${OPERATORS.join(' ')} between spaces)`;
  }
  const [leftText, operator, rightText] = split;
  const left = parseLeft(leftText);
  if (typeof left === 'string') return `"${source}": ${left}`;
  const right = parseRight(rightText, operator);
  if (typeof right === 'string') return `"${source}": ${right}`;
  const mismatch = checkTypes(left, operator, right);
  if (mismatch) return `"${source}": ${mismatch}`;
  return { source: text, leftText, left, operator, rightText, right };
}

function parseLeft(text: string): LeftOperand | string {
  const call = /^(len|has)\((.*)\)$/.exec(text);
  if (call) {
    const of = parsePlaceholder((call[2] as string).trim());
    if (typeof of === 'string') return of;
    if (of.name !== 'BODY' && of.name !== 'HEADERS') {
      return `${call[1]}() applies to [BODY] or [HEADERS], not [${of.name}]`;
    }
    return { type: call[1] as 'len' | 'has', of };
  }
  if (!text.startsWith('[')) {
    return `left side "${text}" must be a placeholder such as [STATUS] or a function such as len([BODY].items)`;
  }
  return parsePlaceholder(text);
}

function parsePlaceholder(text: string): PlaceholderOperand | string {
  const match = /^\[([A-Z_]+)\](.*)$/.exec(text);
  const name = match?.[1];
  if (!match || !name || !(PLACEHOLDERS as readonly string[]).includes(name)) {
    const shown = /^\[[^\]]*\]/.exec(text)?.[0] ?? text;
    return `unknown placeholder ${shown} (expected one of ${PLACEHOLDERS.map((p) => `[${p}]`).join(', ')})`;
  }
  const rest = match[2] as string;
  const placeholder = name as PlaceholderName;
  if (placeholder === 'HEADERS') {
    const header = /^\.([!#$%&'*+\-.^_`|~0-9A-Za-z]+)$/.exec(rest);
    if (!header) return `[HEADERS] needs a header name, e.g. [HEADERS].content-type`;
    return { type: 'placeholder', name: placeholder, path: [(header[1] as string).toLowerCase()] };
  }
  if (placeholder === 'BODY') {
    const path = parseJsonPath(rest);
    if (typeof path === 'string') return path;
    return { type: 'placeholder', name: placeholder, path };
  }
  if (rest !== '') return `[${placeholder}] takes no path (got "${rest}")`;
  return { type: 'placeholder', name: placeholder, path: [] };
}

/** `.a.b[0].c` → ['a', 'b', 0, 'c']; `''` → []. */
function parseJsonPath(text: string): PathSegment[] | string {
  const segments: PathSegment[] = [];
  const segment = /\.([^.[\]\s]+)|\[(\d+)\]/y;
  let index = 0;
  while (index < text.length) {
    segment.lastIndex = index;
    const match = segment.exec(text);
    if (!match) return `bad JSON path "${text}" (expected .key or [index] segments, e.g. [BODY].data[0].status)`;
    segments.push(match[1] ?? Number(match[2]));
    index = segment.lastIndex;
  }
  return segments;
}

function parseRight(text: string, operator: Operator): RightOperand | string {
  const call = /^(pat|any)\((.*)\)$/.exec(text);
  if (call) {
    if (operator !== '==' && operator !== '!=') return `${call[1]}() only works with == and !=`;
    const inner = call[2] as string;
    if (call[1] === 'pat') return { type: 'pattern', glob: inner, parts: globParts(inner) };
    const values = inner.split(',').map((v) => v.trim());
    if (values.some((v) => v === '')) return `any() needs a comma-separated list of values, e.g. any(200, 204)`;
    return { type: 'any', values };
  }
  const number = toNumber(text);
  if (operator !== '==' && operator !== '!=' && number === undefined) {
    return `"${text}" is not a number or a duration (expected e.g. 500, 2s, 48h after ${operator})`;
  }
  return number === undefined ? { type: 'literal', text } : { type: 'literal', text, number };
}

/** True when any condition reads the response body, so the prober must read it. */
export function needsBody(conditions: readonly Condition[]): boolean {
  return conditions.some((c) => (c.left.type === 'placeholder' ? c.left : c.left.of).name === 'BODY');
}

function checkTypes(left: LeftOperand, operator: Operator, right: RightOperand): string | undefined {
  const booleanLeft = left.type === 'has' || (left.type === 'placeholder' && left.name === 'CONNECTED');
  if (booleanLeft) {
    if (operator !== '==' && operator !== '!=') return `a true/false value only works with == and !=`;
    if (right.type !== 'literal' || (right.text !== 'true' && right.text !== 'false')) {
      return `expected true or false on the right`;
    }
  }
  return undefined;
}

/** A number, or a duration in ms (`500ms`, `2s`, `48h`, `7d`). */
export function toNumber(text: string): number | undefined {
  if (/^-?\d+(\.\d+)?$/.test(text)) return Number(text);
  return parseDuration(text);
}
