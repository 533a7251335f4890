import { OPERATORS, type Operator } from './ast.js';

/**
 * `<left> <op> <right>`: the first operator with white space on both sides, the left side on one
 * line. The same split as `/^(.+?)\s+(==|!=|<=|>=|<|>)\s+(.+)$/`, in one pass: that expression
 * backtracks over every run of spaces for every position before it (quadratic time on long runs).
 * `text` is trimmed.
 */
export function splitOnOperator(text: string): [string, Operator, string] | undefined {
  const breaks = [...text.matchAll(LINE_BREAKS)].map((m) => m.index);
  const firstBreak = breaks[0] ?? text.length;
  const lastBreak = breaks[breaks.length - 1] ?? -1;
  // `start` is at the first space of a run; runs are skipped whole, so the left side never ends in one.
  for (let start = 1; start < text.length && start <= firstBreak; ) {
    if (!isSpace(text, start)) {
      start++;
      continue;
    }
    const at = skipSpaces(text, start);
    const operator = OPERATORS.find((op) => text.startsWith(op, at) && isSpace(text, at + op.length));
    if (operator) {
      const right = skipSpaces(text, at + operator.length);
      // The right side is one line too (a line break may only sit in the spaces around the operator).
      if (right < text.length && right > lastBreak) return [text.slice(0, start), operator, text.slice(right)];
    }
    start = at;
  }
  return undefined;
}

/** What `.` does not match: a side of a condition is one line. */
const LINE_BREAKS = /[\n\r\u2028\u2029]/g;
const isSpace = (text: string, index: number): boolean => index < text.length && /\s/.test(text[index] as string);
function skipSpaces(text: string, from: number): number {
  let index = from;
  while (isSpace(text, index)) index++;
  return index;
}
