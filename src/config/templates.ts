import { isPlainObject } from './merge.js';

type Json = Readonly<Record<string, unknown>>;

/** `${param:name}`: a template's parameter, filled from the job's `params`. */
const PARAM_REFERENCE = /\$\{param:([A-Za-z_][A-Za-z0-9_-]*)\}/g;

/** A layer a template brings to a job: its fields, parameters filled. */
export interface TemplateLayer {
  /** `template "internalApi"`, for messages. */
  readonly label: string;
  readonly fields: Json;
}

export interface ExpandedTemplates {
  readonly layers: TemplateLayer[];
  /** Paths (`timeoutSeconds`, `retry.maxAttempts`) whose text a parameter filled, to be typed after. */
  readonly filled: Set<string>;
  readonly problems: string[];
}

/**
 * The layers of the templates a job extends, in the order they apply: each template's own
 * `extends` first (depth first), then the template itself; a template reached twice applies once.
 * `${param:name}` in a template's strings is replaced by `params[name]` in one pass: a value is
 * inserted as it is and not searched for `${param:}` again. The problems name the template: an
 * unknown template, a cycle of `extends`, a parameter the job does not set.
 */
export function expandTemplates(
  names: readonly string[],
  templates: Readonly<Record<string, unknown>>,
  params: Readonly<Record<string, string>>,
): ExpandedTemplates {
  const layers: TemplateLayer[] = [];
  const filled = new Set<string>();
  const problems: string[] = [];
  const applied = new Set<string>();

  const visit = (name: string, chain: readonly string[]): void => {
    if (chain.includes(name)) {
      problems.push(`a cycle of templates: ${[...chain, name].map((n) => `"${n}"`).join(' → ')}`);
      return;
    }
    if (applied.has(name)) return;
    const template = Object.hasOwn(templates, name) ? templates[name] : undefined;
    if (!isPlainObject(template)) {
      const known = Object.keys(templates);
      const where = chain.length === 0 ? '' : ` (in template "${chain[chain.length - 1]}")`;
      problems.push(`"${name}"${where}, which is not a template (${known.length === 0 ? 'the file has no templates' : `templates: ${known.join(', ')}`})`);
      return;
    }
    const { extends: parents, ...fields } = template;
    for (const parent of extendsList(parents)) visit(parent, [...chain, name]);
    applied.add(name);
    const label = `template "${name}"`;
    const missing = new Set<string>();
    const filledFields = fillParams(fields, params, '', missing, filled) as Json;
    for (const param of missing) problems.push(`${label} uses \${param:${param}}, which the job's params do not set`);
    layers.push({ label, fields: filledFields });
  };
  for (const name of names) visit(name, []);
  return { layers, filled, problems };
}

/** `extends` as a list: a string is a list of one. */
export function extendsList(value: unknown): string[] {
  if (typeof value === 'string') return [value];
  return Array.isArray(value) ? value.filter((item): item is string => typeof item === 'string') : [];
}

function fillParams(value: unknown, params: Readonly<Record<string, string>>, path: string, missing: Set<string>, filled: Set<string>): unknown {
  if (typeof value === 'string') {
    if (!value.includes('${param:')) return value;
    filled.add(path);
    return value.replace(PARAM_REFERENCE, (whole, name: string) => {
      if (Object.hasOwn(params, name)) return params[name] as string;
      missing.add(name);
      return whole;
    });
  }
  if (Array.isArray(value)) return value.map((item, i) => fillParams(item, params, `${path}[${i}]`, missing, filled));
  if (isPlainObject(value)) {
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, fillParams(item, params, path === '' ? key : `${path}.${key}`, missing, filled)]));
  }
  return value;
}
