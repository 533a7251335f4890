/** What is shown instead of a hidden value. */
export const MASK = '***';

/**
 * Header names whose values are credentials: never shown, whatever the job or the target says
 * (requests in job views, response headers in condition results).
 */
export const SENSITIVE_HEADERS: ReadonlySet<string> = new Set([
  'authorization',
  'proxy-authorization',
  'cookie',
  'set-cookie',
  'x-api-key',
  'api-key',
  'x-functions-key',
  'ocp-apim-subscription-key',
]);

/** Values shorter than this are not searched for: masking "ab" everywhere would garble every text. */
export const MIN_MASKED_LENGTH = 4;

/**
 * Everything to mask for these secret values: each value as is, percent-encoded (a URL),
 * form-encoded (a query string) and JSON-escaped (a JSON body), longest first so that a value is
 * masked whole before a shorter one inside it.
 */
export function hiddenForms(values: Iterable<string>): string[] {
  const forms = new Set<string>();
  for (const value of values) {
    if (value.length < MIN_MASKED_LENGTH) continue;
    forms.add(value).add(encodeURIComponent(value)).add(new URLSearchParams({ v: value }).toString().slice(2));
    forms.add(JSON.stringify(value).slice(1, -1));
  }
  return [...forms].sort((a, b) => b.length - a.length);
}

/** Replaces every occurrence of each of `hidden` (from `hiddenForms`) in `text` with `***`. */
export function scrub(text: string, hidden: readonly string[]): string {
  let result = text;
  for (const value of hidden) if (result.includes(value)) result = result.split(value).join(MASK);
  return result;
}
