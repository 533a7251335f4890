import type { Channel } from '../domain/alerting/channel.js';
import { validationError, type Issue } from '../domain/errors.js';
import type { Job } from '../domain/job.js';
import type { MaintenanceWindow } from '../domain/maintenance.js';
import type { NetworkPolicy } from '../domain/network.js';
import type { ReferencePolicy } from '../domain/sandbox.js';
import { describeZodIssue } from './issues.js';
import { jobName } from './jobsSchema.js';
import { resolveJob, type SharedParts } from './resolveJob.js';
import type { Env } from './substitute.js';
import { targetIssues } from './targetIssues.js';
import { withWindows } from './maintenanceSchema.js';

/** A job definition compiled, or every problem it has. */
export interface CompiledJob {
  readonly job?: Job;
  readonly issues: readonly Issue[];
}

/**
 * Compiles an API job's definition as a job of the jobs file, with the file's current `defaults` and
 * `templates`, sandboxed: it may reference only what `sandbox` allows (wherever the reference was
 * written: its own fields, a parameter, a template, `defaults`), and a `url` or `auth.tokenUrl` that
 * is an IP literal the target guard refuses is an issue at once. Its `alerts` may name the jobs
 * file's current `channels`, never define one. The file's maintenance windows that select it by tags apply.
 */
export const compileApiJob =
  (env: Env, targets: NetworkPolicy, shared: () => SharedParts, channels: () => ReadonlyMap<string, Channel> = () => new Map(), windows: () => readonly MaintenanceWindow[] = () => []) =>
  (definition: Readonly<Record<string, unknown>>, sandbox: ReferencePolicy): CompiledJob => {
    const compiled = resolveJob(definition, shared(), { env, source: 'api', where: '', pathPrefix: '', sandbox, channels: new Set(channels().keys()) });
    const refused = targetIssues(compiled.job, definition, targets);
    if (refused.length > 0) return { issues: [...compiled.issues, ...refused] };
    return compiled.job ? { ...compiled, job: withWindows(compiled.job, windows()) } : compiled;
  };

/**
 * An API request's job body to the `Job` it defines, compiled once by `compile` (an API job's
 * compiler, sandboxed: `compileApiJob`); `fill` gives fields the body may leave out (the name from
 * the URL of `PUT`, a name for an unsaved run). Throws `validation_failed` (400) with every problem
 * at once, each naming its field; with a bad name, the other fields' problems are reported with it.
 * The job's `definition` is the body as written, which is what is stored.
 */
export function parseApiJob(body: unknown, fill: Readonly<Record<string, unknown>>, compile: (definition: Readonly<Record<string, unknown>>) => CompiledJob): Job {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    throw validationError('the job', [{ path: '', message: `the body must be an object (a job), not ${Array.isArray(body) ? 'an array' : String(body === null ? null : typeof body)}` }]);
  }
  const input = { ...fill, ...body } as Record<string, unknown>;
  const name = jobName.safeParse(input.name, { reportInput: true });
  if (!name.success) {
    const issues = name.error.issues.map((issue) => describeZodIssue({ ...issue, path: ['name', ...issue.path] }, '', 0));
    const others = compile({ ...input, name: 'job' }).issues.filter((issue) => issue.path !== 'name');
    throw validationError('the job', [...issues, ...others]);
  }
  const { job, issues } = compile({ ...input, name: name.data });
  if (!job) throw validationError('the job', issues);
  return job;
}
