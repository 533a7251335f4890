import type { Issue } from '../domain/errors.js';
import type { Job } from '../domain/job.js';
import { allows } from '../domain/sandbox.js';
import { compileJob, problemsBeyond, UNRESOLVED, type CompileOptions } from './compileJob.js';
import { describeZodIssue } from './issues.js';
import { isPlainObject, mergeJobLayers } from './merge.js';
import { jobSchema, type JobInput } from './jobsSchema.js';
import { ENV_NOT_ALLOWED } from './sandbox.js';
import { expandTemplates, extendsList } from './templates.js';
import { typeFields } from './typedFields.js';

/** What every job of a file shares: its `defaults` and `templates`, as written. */
export interface SharedParts {
  readonly defaults: Readonly<Record<string, unknown>>;
  readonly templates: Readonly<Record<string, unknown>>;
}

export const NO_SHARED_PARTS: SharedParts = { defaults: {}, templates: {} };

/**
 * A job as written (a jobs-file entry, or an API job's stored definition) to the job that runs:
 * `defaults`, then the templates of `extends` in order (parameters filled from `params`), then the
 * job's own fields, merged by the rule of config/merge.ts; `${env:}` substituted in every field and
 * typed; then checked and compiled. For a sandboxed job every reference of the result counts, wherever
 * it was written (its own fields, a parameter, a template, `defaults`): the sandbox checks them all.
 * `definition` stays as written; `resolved` is the merged job, references unresolved.
 */
export function resolveJob(raw: unknown, shared: SharedParts, options: CompileOptions): { job?: Job; issues: Issue[] } {
  const { where, pathPrefix } = options;
  const issues: Issue[] = [];
  const problem = (field: string, message: string) => issues.push({ path: `${pathPrefix}${field}`, message: `${where}${field} ${message}` });
  if (!isPlainObject(raw)) {
    return { issues: [{ path: pathPrefix.replace(/\.$/, ''), message: `${where}must be an object (a job)` }] };
  }
  const { extends: extendsField, params: paramsField, ...own } = raw;
  if (extendsField !== undefined && typeof extendsField !== 'string' && !(Array.isArray(extendsField) && extendsField.every((n) => typeof n === 'string'))) {
    problem('extends', 'must be a template name or a list of them');
  }
  const params = isPlainObject(paramsField) ? paramsField : {};
  if (paramsField !== undefined && !(isPlainObject(paramsField) && Object.values(paramsField).every((v) => typeof v === 'string'))) {
    problem('params', 'must be an object of strings (parameter name → value)');
  }
  const expanded = expandTemplates(extendsList(extendsField), shared.templates, params as Record<string, string>);
  for (const message of expanded.problems) problem('extends', message);

  const { merged, origin } = mergeJobLayers([
    { label: 'defaults', fields: shared.defaults },
    ...expanded.layers,
    { label: '', fields: own },
  ]);
  const { sandbox } = options;
  const allowEnv = sandbox && ((name: string) => allows(sandbox, 'env', name));
  const typed = typeFields(merged, jobSchema, options.env, expanded.filled, allowEnv, { refused: ENV_NOT_ALLOWED, unresolved: UNRESOLVED });
  for (const [field, message] of typed.problems) problem(field, message);

  // Where a value came from, when not from the job itself: `(from template "internalApi")`.
  const from = (field: string) => {
    const key = field.split(/[.[]/)[0] ?? '';
    const label = origin.get(key);
    const variables = typed.variables.get(field);
    const parts = [...(label ? [`from ${label}`] : []), ...(variables ? [`after \${env:${variables.join('}, ${env:')}}`] : [])];
    return parts.length === 0 ? '' : ` (${parts.join(', ')})`;
  };
  const parsed = jobSchema.safeParse(typed.fields, { reportInput: true });
  if (!parsed.success) {
    for (const zodIssue of parsed.error.issues) {
      const described = describeZodIssue(zodIssue, where, 0);
      issues.push({ path: described.path === '' ? pathPrefix.replace(/\.$/, '') : `${pathPrefix}${described.path}`, message: `${described.message}${from(described.path)}` });
    }
    const compile = (input: JobInput) => compileJob(input, {}, options).issues;
    issues.push(...problemsBeyond(parsed.error.issues, typed.fields, compile, pathPrefix));
    return { issues };
  }
  const compiled = compileJob(parsed.data, {}, options);
  issues.push(...compiled.issues.map((issue) => ({ ...issue, message: `${issue.message}${from(issue.path.slice(pathPrefix.length).split(' ')[0] ?? '')}` })));
  if (issues.length > 0 || !compiled.job) return { issues };
  return { job: { ...compiled.job, definition: raw, resolved: merged }, issues };
}
