/**
 * The Gatus condition language, as a tree built once when a job is loaded.
 * @see https://github.com/TwiN/gatus#conditions
 */
export const PLACEHOLDERS = [
  'STATUS',
  'RESPONSE_TIME',
  'BODY',
  'HEADERS',
  'CERTIFICATE_EXPIRATION',
  'CONNECTED',
] as const;
export type PlaceholderName = (typeof PLACEHOLDERS)[number];

export const OPERATORS = ['==', '!=', '<=', '>=', '<', '>'] as const;
export type Operator = (typeof OPERATORS)[number];

/** A JSON path segment: an object key or an array index. */
export type PathSegment = string | number;

export interface PlaceholderOperand {
  readonly type: 'placeholder';
  readonly name: PlaceholderName;
  /** For `[BODY]`: a JSON path; for `[HEADERS]`: one lower-cased header name; otherwise empty. */
  readonly path: readonly PathSegment[];
}

export type LeftOperand =
  | PlaceholderOperand
  | { readonly type: 'len'; readonly of: PlaceholderOperand }
  | { readonly type: 'has'; readonly of: PlaceholderOperand };

export type RightOperand =
  /** `number` is set when the text is a number or a duration (`48h` → ms), for ordering operators. */
  | { readonly type: 'literal'; readonly text: string; readonly number?: number }
  /** `pat(…)`, split on `*` (`globParts`): matched by `matchGlob`, in linear time (no regular expression is built from it). */
  | { readonly type: 'pattern'; readonly glob: string; readonly parts: readonly string[] }
  | { readonly type: 'any'; readonly values: readonly string[] };

export interface Condition {
  /** The condition as written in the job. */
  readonly source: string;
  /** The left operand as written, used to show the actual value after it: `[STATUS] (503) == 200`. */
  readonly leftText: string;
  readonly left: LeftOperand;
  readonly operator: Operator;
  /** The right operand as written. */
  readonly rightText: string;
  readonly right: RightOperand;
}

/** The outcome of one condition in one run. */
export interface ConditionResult {
  readonly condition: string;
  readonly success: boolean;
  /**
   * The actual value the left side resolved to, as text: secrets and credential headers masked, cut
   * to 200 characters (`MAX_SHOWN_LENGTH`) + `…`; `null` when it could not be resolved.
   */
  readonly actual: string | null;
  /** Set on the results of `degradedConditions`, which make a run `degraded`, never `down`. */
  readonly degraded?: true;
}
