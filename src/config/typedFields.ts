import type { z } from 'zod';
import { isPlainObject } from './merge.js';
import { substituteEnv, type Env } from './substitute.js';

/**
 * `${env:NAME}` in every field of a job that compileJob does not substitute itself, and the text of
 * a number or boolean field made that type again, so that `"timeoutSeconds": "${env:T:-10}"` and
 * `"enabled": "${env:CHECKS_ON:-true}"` work. Only text a reference filled is typed: a literal
 * `"10"` stays text, and the schema says it must be a number.
 */

/** Fields compileJob substitutes itself, with its secret and sandbox checks (and `name`, never substituted). */
const OWN_SUBSTITUTION = new Set(['name', 'url', 'headers', 'body', 'auth']);

export interface TypedFields {
  readonly fields: Record<string, unknown>;
  /** Problems of references: `[field, message]` (refused, unset, unresolved Key Vault reference). */
  readonly problems: Array<readonly [field: string, message: string]>;
  /** The variables that filled each field's text (`timeoutSeconds` → `['T']`), for messages. */
  readonly variables: Map<string, string[]>;
}

/**
 * Substitutes `${env:}` in `fields` (see above) and types the text at `filled` paths and at paths a
 * variable filled by what `schema` accepts there. `allowed`: the sandbox's test of a name.
 */
export function typeFields(
  fields: Readonly<Record<string, unknown>>,
  schema: z.ZodType,
  env: Env,
  filled: ReadonlySet<string>,
  allowed: ((name: string) => boolean) | undefined,
  messages: { readonly refused: string; readonly unresolved: string },
): TypedFields {
  const problems: Array<readonly [string, string]> = [];
  const variables = new Map<string, string[]>();
  const walk = (value: unknown, path: string[]): unknown => {
    if (typeof value === 'string') {
      const field = path.map((key, i) => (/^\d+$/.test(key) ? `[${key}]` : i === 0 ? key : `.${key}`)).join('');
      let text = value;
      if (value.includes('${env:')) {
        const result = substituteEnv(value, env, allowed);
        for (const name of result.refused) problems.push([field, `references \${env:${name}}, ${messages.refused}`]);
        for (const name of result.missing) problems.push([field, `references \${env:${name}}, which is not set`]);
        for (const name of result.unresolved) problems.push([field, `references \${env:${name}}, ${messages.unresolved}`]);
        variables.set(field, [...value.matchAll(/\$\{env:([A-Za-z_][A-Za-z0-9_]*)/g)].map((m) => m[1] as string));
        text = result.text;
      } else if (!filled.has(field)) {
        return value;
      }
      return typed(text, accepted(schema, path));
    }
    if (Array.isArray(value)) return value.map((item, i) => walk(item, [...path, String(i)]));
    if (isPlainObject(value)) return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, walk(item, [...path, key])]));
    return value;
  };
  const result = Object.fromEntries(
    Object.entries(fields).map(([key, value]) => [key, OWN_SUBSTITUTION.has(key) ? value : walk(value, [key])]),
  );
  return { fields: result, problems, variables };
}

function typed(text: string, kinds: ReadonlySet<string>): unknown {
  if (kinds.has('string')) return text;
  const trimmed = text.trim();
  if (kinds.has('number') && trimmed !== '' && Number.isFinite(Number(trimmed))) return Number(trimmed);
  if (kinds.has('boolean') && /^(true|false)$/i.test(trimmed)) return trimmed.toLowerCase() === 'true';
  return text;
}

interface Def {
  readonly type: string;
  readonly innerType?: z.ZodType;
  readonly shape?: Record<string, z.ZodType>;
  readonly options?: readonly z.ZodType[];
  readonly valueType?: z.ZodType;
  readonly element?: z.ZodType;
  readonly in?: z.ZodType;
  readonly values?: readonly unknown[];
  readonly getter?: () => z.ZodType;
}

/** The JSON types `schema` accepts at `path` (`number`, `boolean`, `string`, `other`). */
export function accepted(schema: z.ZodType, path: readonly string[]): Set<string> {
  const kinds = new Set<string>();
  const visit = (node: z.ZodType, rest: readonly string[]): void => {
    const def = node._zod.def as unknown as Def;
    switch (def.type) {
      case 'optional':
      case 'default':
      case 'nullable':
        return visit(def.innerType as z.ZodType, rest);
      case 'pipe':
        return visit(def.in as z.ZodType, rest);
      case 'lazy':
        return visit((def.getter as () => z.ZodType)(), rest);
      case 'union':
        return def.options?.forEach((option) => visit(option, rest));
      case 'object': {
        if (rest.length === 0) return void kinds.add('other');
        const field = def.shape?.[rest[0] as string];
        return field ? visit(field, rest.slice(1)) : undefined;
      }
      case 'record':
        return rest.length === 0 ? void kinds.add('other') : visit(def.valueType as z.ZodType, rest.slice(1));
      case 'array':
        return rest.length === 0 ? void kinds.add('other') : visit(def.element as z.ZodType, rest.slice(1));
      case 'literal':
        if (rest.length === 0) for (const value of def.values ?? []) kinds.add(typeof value);
        return;
      case 'number':
      case 'int':
      case 'boolean':
      case 'string':
        if (rest.length === 0) kinds.add(def.type === 'int' ? 'number' : def.type);
        return;
      case 'enum':
      case 'template_literal':
        if (rest.length === 0) kinds.add('string');
        return;
      default:
        if (rest.length === 0) kinds.add('other');
    }
  };
  visit(schema, path);
  return kinds;
}
