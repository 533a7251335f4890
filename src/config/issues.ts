import type { z } from 'zod';
import type { Issue } from '../domain/errors.js';

type Path = ReadonlyArray<PropertyKey>;

/** `['jobs', 2, 'retry', 'maxAttempts']` → `jobs[2].retry.maxAttempts`. */
export function formatPath(path: Path): string {
  return path
    .map((key, i) => (typeof key === 'number' ? `[${key}]` : i === 0 ? String(key) : `.${String(key)}`))
    .join('');
}

/**
 * Turns a zod issue into one sentence that names the field and what was expected, prefixed by
 * `where` (e.g. `jobs[2] "billing": `). `base` is the part of the path `where` already names.
 */
export function describeZodIssue(issue: z.core.$ZodIssue, where: string, base: number): Issue {
  const field = formatPath(issue.path.slice(base));
  const subject = field === '' ? 'value' : field;
  return { path: formatPath(issue.path), message: `${where}${sentence(issue, subject)}` };
}

function sentence(issue: z.core.$ZodIssue, subject: string): string {
  switch (issue.code) {
    case 'invalid_type':
      return issue.input === undefined
        ? `${subject} is required (expected ${issue.expected})`
        : `${subject} must be ${article(issue.expected)} (got ${typeName(issue.input)})`;
    case 'too_small':
      return issue.origin === 'array' || issue.origin === 'string'
        ? `${subject} must have at least ${String(issue.minimum)} ${issue.origin === 'array' ? 'items' : 'characters'}`
        : `${subject} must be ${issue.inclusive ? 'at least' : 'greater than'} ${String(issue.minimum)}`;
    case 'too_big':
      return issue.origin === 'array' || issue.origin === 'string'
        ? `${subject} must have at most ${String(issue.maximum)} ${issue.origin === 'array' ? 'items' : 'characters'}`
        : `${subject} must be ${issue.inclusive ? 'at most' : 'less than'} ${String(issue.maximum)}`;
    case 'invalid_value':
      return `${subject} must be one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')}`;
    case 'unrecognized_keys':
      return issue.keys.map((key) => `unknown field "${key}"${subject === 'value' ? '' : ` in ${subject}`}`).join('; ');
    case 'invalid_union':
      return `${subject} has the wrong shape (${issue.message})`;
    case 'invalid_format':
    case 'custom':
      return `${subject} ${issue.message}`;
    default:
      return `${subject}: ${issue.message}`;
  }
}

const article = (type: string) => (/^[aeiou]/.test(type) ? `an ${type}` : `a ${type}`);

function typeName(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  return typeof value;
}
