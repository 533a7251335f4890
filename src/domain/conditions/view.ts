import { MASK, SENSITIVE_HEADERS, scrub } from '../redact.js';
import type { LeftOperand } from './ast.js';

/**
 * Longest text a condition looks at, in UTF-16 code units: 1 MiB (1,048,576), the prober's bound on
 * a body. Longer text is cut to it before it is compared; a longer body is not parsed as JSON.
 */
export const MAX_EVALUATED_LENGTH = 1024 * 1024;

/** Longest actual value a run shows, in characters (200); a longer one is cut and ends in `…`. */
export const MAX_SHOWN_LENGTH = 200;

/**
 * What a condition's operator compares. In both, secret values the request carried (`hidden`) and
 * credential response headers (`SENSITIVE_HEADERS`) are masked as `***` first.
 * - `shown`: exactly the `actual` the run shows, cut to `MAX_SHOWN_LENGTH` followed by `…`. For
 *   sandboxed jobs (`source: 'api'`: API jobs and unsaved runs): their caller chose the condition, so
 *   it may learn nothing the run does not show (no `pat(a*)`, `pat(b*)`, … oracle).
 * - `full`: the whole masked value, up to `MAX_EVALUATED_LENGTH`. For the jobs file's jobs, written
 *   by operators: a marker past character 200 of a body still counts.
 * @see ../../../docs/security.md#conditions
 */
export type Comparison = 'shown' | 'full';

/** A value as conditions see it. */
export interface Seen {
  /** Masked, at most `MAX_EVALUATED_LENGTH` characters. */
  readonly full: string;
  /** Masked and cut to `MAX_SHOWN_LENGTH` (+ `…`): the result's `actual`. */
  readonly shown: string;
}

/** The value of `left` as text, masked; `undefined` when it has no text (JSON too deep to write). */
export function seen(left: LeftOperand, value: unknown, hidden: readonly string[]): Seen | undefined {
  if (left.type === 'placeholder' && left.name === 'HEADERS' && SENSITIVE_HEADERS.has(left.path[0] as string)) {
    return { full: MASK, shown: MASK };
  }
  const raw = textOf(value);
  if (raw === undefined) return undefined;
  // Cut with room for the longest secret, so one that straddles the bound is still masked whole.
  const room = hidden.reduce((longest, form) => Math.max(longest, form.length), 0);
  const full = scrub(raw.slice(0, MAX_EVALUATED_LENGTH + room), hidden).slice(0, MAX_EVALUATED_LENGTH);
  return { full, shown: full.length > MAX_SHOWN_LENGTH ? `${full.slice(0, MAX_SHOWN_LENGTH)}…` : full };
}

/** A value as text: JSON for objects and arrays; `undefined` when JSON.stringify runs out of stack. */
export function textOf(value: unknown): string | undefined {
  if (typeof value !== 'object' || value === null) return String(value);
  try {
    return JSON.stringify(value);
  } catch {
    return undefined;
  }
}
