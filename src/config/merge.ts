/**
 * The one merge rule of the jobs file, used for templates, `defaults`, a job's own fields and
 * environment overlays (docs/configuration.md, "How layers merge"):
 * - objects merge key by key (`headers`, `tags`, `retry`, `circuitBreaker`, `tls`, `params`,
 *   a file's `defaults`, `templates` and `channels`);
 * - everything else a later layer sets replaces the earlier value: lists (`conditions`, `extends`)
 *   and scalars, and `circuitBreaker: false` or an object over the other;
 * - `auth` and `body` are replaced as a whole (an auth of another type must not keep the last one's
 *   secret; a body is data, not settings);
 * - `schedule` and `every` are one choice: a layer that sets either replaces both.
 */

type Json = Readonly<Record<string, unknown>>;

/** Fields replaced as a whole even when both sides are objects. */
const WHOLE = new Set(['auth', 'body']);

export const isPlainObject = (value: unknown): value is Json =>
  value !== null && typeof value === 'object' && !Array.isArray(value);

/** `over` merged onto `base` key by key, recursively (see the rule above); neither is changed. */
export function mergeObjects(base: Json, over: Json): Record<string, unknown> {
  const merged: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(over)) {
    if (value === undefined) continue;
    const current = merged[key];
    merged[key] = isPlainObject(current) && isPlainObject(value) ? mergeObjects(current, value) : value;
  }
  return merged;
}

/**
 * Job layers merged in order, each over the ones before: the job rule of `mergeObjects`, plus
 * `auth` and `body` replaced as a whole and `schedule`/`every` as one choice. Also returns, for each
 * top-level field, the label of the layer its value came from (so a message can name a template).
 */
export function mergeJobLayers(layers: ReadonlyArray<{ readonly label: string; readonly fields: Json }>): {
  merged: Record<string, unknown>;
  origin: Map<string, string>;
} {
  let merged: Record<string, unknown> = {};
  const origin = new Map<string, string>();
  for (const { label, fields } of layers) {
    if ('schedule' in fields || 'every' in fields) {
      delete merged.schedule;
      delete merged.every;
    }
    const whole = Object.fromEntries(Object.entries(fields).filter(([key]) => WHOLE.has(key)));
    merged = { ...mergeObjects(merged, fields), ...whole };
    for (const key of Object.keys(fields)) origin.set(key, label);
  }
  return { merged, origin };
}
