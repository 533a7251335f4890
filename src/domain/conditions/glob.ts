/**
 * Gatus `pat()`: `*` matches any run of characters (line breaks included), every other character is
 * literal, and the pattern must match the whole text.
 *
 * Matched without a regular expression and without backtracking: the text before the first `*` must
 * start the text, the text after the last `*` must end it, and each part between is found left to
 * right with `indexOf`. Taking the leftmost occurrence of each part is always right for patterns
 * whose only wildcard is `*` (a later occurrence leaves less room, never more), so no choice is ever
 * undone. Each character of the text is scanned for at most one part, so the time is linear in the
 * text (times the longest part in the worst case of a naive string search, which V8 avoids).
 * A regular expression built from `*` → `[\s\S]*` backtracks instead: on `a*a*…a*c` against a run
 * of `a`s its time grows with the text length to the power of the number of stars (16 stars on a
 * 16-character body took 10.8 s and blocked the process).
 * @see https://github.com/TwiN/gatus#functions
 */

/** Compiles the text inside `pat(…)` to its parts (split on `*`); done once, when a job is loaded. */
export function globParts(glob: string): readonly string[] {
  return glob.split('*');
}

/** Whether `text` matches, as a whole, the glob of these `parts` (from `globParts`). Linear time. */
export function matchGlob(parts: readonly string[], text: string): boolean {
  const first = parts[0] as string;
  if (parts.length === 1) return text === first;
  const last = parts[parts.length - 1] as string;
  // The prefix and the suffix may not overlap: `ab*ba` does not match `aba`.
  if (text.length < first.length + last.length || !text.startsWith(first) || !text.endsWith(last)) return false;
  const end = text.length - last.length;
  let from = first.length;
  for (let i = 1; i < parts.length - 1; i++) {
    const part = parts[i] as string;
    if (part === '') continue;
    const at = text.indexOf(part, from);
    if (at === -1 || at + part.length > end) return false;
    from = at + part.length;
  }
  return true;
}
