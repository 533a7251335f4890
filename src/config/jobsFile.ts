import { configError, type Issue } from '../domain/errors.js';
import type { Channel } from '../domain/alerting/channel.js';
import type { Job } from '../domain/job.js';
import { channelsSchema, compileChannels } from './channelsSchema.js';
import type { MaintenanceWindow } from '../domain/maintenance.js';
import { compileMaintenance, withWindows, type MaintenanceInput } from './maintenanceSchema.js';
import { UNRESOLVED } from './compileJob.js';
import { linkIssues } from './dependencies.js';
import { describeZodIssue } from './issues.js';
import { z } from 'zod';
import { defaultsSchema, jobsFileSchema, templateSchema } from './jobsSchema.js';
import { isPlainObject } from './merge.js';
import { applyOverlay } from './overlay.js';
import { resolveJob, type SharedParts } from './resolveJob.js';
import type { Env } from './substitute.js';
import { typeFields } from './typedFields.js';

/** One file's text and the name messages give it. */
export interface JobsFileText {
  readonly name: string;
  readonly text: string;
}

/**
 * The jobs of a file (and its overlay), what API jobs take from it (`defaults` and `templates`), and
 * its notification channels by name (docs/alerting.md), which jobs' `alerts` name.
 */
export interface LoadedJobs {
  readonly jobs: Job[];
  readonly shared: SharedParts;
  readonly channels: ReadonlyMap<string, Channel>;
  /** The file's maintenance windows (config/maintenanceSchema.ts): those selecting by tags apply to API jobs too. */
  readonly maintenance: readonly MaintenanceWindow[];
}

/**
 * Parses the text of a jobs file into domain jobs. Every problem is reported at once, each naming the
 * job and the field, e.g. `jobs[2] "billing": schedule "0 *\/5 * *" is not NCRONTAB (expected 5 or 6 fields)`.
 * @throws PulsecheckError `config_invalid` with one issue per problem.
 */
export function parseJobsFile(text: string, env: Env, fileName = 'jobs.config.json'): Job[] {
  return loadJobsFiles({ name: fileName, text }, undefined, env).jobs;
}

/**
 * The base jobs file with an environment overlay merged over it (config/overlay.ts), parsed into
 * jobs. Problems of either file's text or outline name that file; problems of the merged jobs are
 * reported as the base file's when there is no overlay, otherwise as `base + overlay`.
 * @throws PulsecheckError `config_invalid` with one issue per problem.
 */
export function loadJobsFiles(base: JobsFileText, overlay: JobsFileText | undefined, env: Env): LoadedJobs {
  const baseFile = outline(base, jobsFileShape);
  if (!overlay) return compileFile(baseFile, env, base.name);
  const overlayFile = outline(overlay, overlayShape);
  const { merged, unnamed } = applyOverlay(baseFile, overlayFile);
  if (unnamed.length > 0) {
    throw configError(unnamed.map((i) => ({ path: `jobs[${i}].name`, message: `jobs[${i}]: name is required (an overlay changes or adds jobs by name)` })), overlay.name);
  }
  return compileFile(merged, env, `${base.name} + ${overlay.name}`);
}

function outline(file: JobsFileText, shape: z.ZodType): Record<string, unknown> {
  let raw: unknown;
  try {
    raw = JSON.parse(file.text);
  } catch (error) {
    throw configError([{ path: '', message: `${file.name} is not valid JSON: ${(error as Error).message}` }], file.name);
  }
  const parsed = shape.safeParse(raw, { reportInput: true });
  if (!parsed.success) throw configError(parsed.error.issues.map((issue) => describeZodIssue(issue, '', 0)), file.name);
  return raw as Record<string, unknown>;
}

function compileFile(file: Record<string, unknown>, env: Env, fileName: string): LoadedJobs {
  const issues: Issue[] = [];
  const shared: SharedParts = {
    defaults: isPlainObject(file.defaults) ? file.defaults : {},
    templates: isPlainObject(file.templates) ? file.templates : {},
  };
  const defaultsValid = checkDefaults(shared.defaults, env, issues);
  checkTemplates(shared.templates, issues);
  const channels = checkChannels(isPlainObject(file.channels) ? file.channels : {}, env, issues);
  // Every name the file defines may be named by `alerts`, even a channel with a problem of its own.
  const channelNames = new Set(isPlainObject(file.channels) ? Object.keys(file.channels) : []);
  const jobs: Job[] = [];
  const seen = new Map<string, number>();
  (file.jobs as unknown[]).forEach((rawJob, index) => {
    const where = jobLabel(rawJob, index);
    const name = (rawJob as { name?: unknown } | null)?.name;
    if (typeof name === 'string') {
      const first = seen.get(name.toLowerCase());
      if (first === undefined) seen.set(name.toLowerCase(), index);
      else issues.push({ path: `jobs[${index}].name`, message: `${where}name is already used by jobs[${first}] (names are unique, ignoring case)` });
    }
    if (!defaultsValid) return;
    const result = resolveJob(rawJob, shared, { env, source: 'config', where, pathPrefix: `jobs[${index}].`, channels: channelNames });
    issues.push(...result.issues);
    if (result.job) jobs.push(result.job);
  });
  const maintenance = compileMaintenance((file.maintenance ?? []) as MaintenanceInput, new Set(seen.keys()));
  issues.push(...maintenance.issues);
  // Links name jobs of this file (any job with a name, even one with a problem of its own).
  const index = new Map([...seen].map(([, i]) => [jobName(file.jobs, i), i]));
  issues.push(...linkIssues(jobs, new Set(index.keys()), (job) => {
    const i = index.get(job);
    return i === undefined ? undefined : { path: `jobs[${i}].`, label: jobLabel((file.jobs as unknown[])[i], i) };
  }));
  if (issues.length > 0) throw configError(issues, fileName);
  return { jobs: jobs.map((job) => withWindows(job, maintenance.windows)), shared, channels, maintenance: maintenance.windows };
}

/** `defaults` on its own, `${env:}` substituted and typed as in a job; false when invalid. */
function checkDefaults(defaults: Readonly<Record<string, unknown>>, env: Env, issues: Issue[]): boolean {
  const typed = typeFields(defaults, defaultsSchema, env, new Set(), undefined, { refused: '', unresolved: UNRESOLVED });
  for (const [field, message] of typed.problems) issues.push({ path: `defaults.${field}`, message: `defaults: ${field} ${message}` });
  const parsed = defaultsSchema.safeParse(typed.fields, { reportInput: true });
  if (!parsed.success) {
    for (const issue of parsed.error.issues) issues.push(describeZodIssue({ ...issue, path: ['defaults', ...issue.path] }, 'defaults: ', 1));
  }
  return parsed.success && typed.problems.length === 0;
}

/** `channels` of the merged file: checked (`channels.<name>.<field>`) and compiled. */
function checkChannels(raw: Readonly<Record<string, unknown>>, env: Env, issues: Issue[]): Map<string, Channel> {
  const parsed = channelsSchema.safeParse(raw, { reportInput: true });
  if (!parsed.success) {
    for (const issue of parsed.error.issues) issues.push(describeZodIssue({ ...issue, path: ['channels', ...issue.path] }, '', 0));
    return new Map();
  }
  const compiled = compileChannels(parsed.data, env);
  issues.push(...compiled.issues);
  return compiled.channels;
}

/** Templates are objects of job fields; their values are checked in each job that extends them. */
function checkTemplates(templates: Readonly<Record<string, unknown>>, issues: Issue[]): void {
  for (const [name, template] of Object.entries(templates)) {
    const where = `templates.${name}`;
    if (!isPlainObject(template)) issues.push({ path: where, message: `${where} must be an object of job fields` });
    else {
      for (const key of Object.keys(template)) {
        if (!(key in templateSchema.shape)) issues.push({ path: `${where}.${key}`, message: `${where}: unknown field "${key}"` });
      }
    }
  }
}

/** The file's outline; each job is then checked on its own, so every job's problems are reported. */
const jobsFileShape = jobsFileSchema.extend({
  defaults: z.record(z.string(), z.unknown()).optional(),
  templates: z.record(z.string(), z.unknown()).optional(),
  channels: z.record(z.string(), z.unknown()).optional(),
  jobs: z.array(z.unknown()),
});
/** An overlay may leave out any section, `jobs` included. */
const overlayShape = jobsFileShape.partial({ jobs: true });

/** The name of the job at `index` of `jobs`, which has one. */
const jobName = (jobs: unknown, index: number): string => ((jobs as Array<{ name: string }>)[index] as { name: string }).name;

/** `jobs[2] "billing": ` (or `jobs[2]: ` when the job has no usable name). */
function jobLabel(rawJob: unknown, index: number): string {
  const name = (rawJob as { name?: unknown } | null)?.name;
  return typeof name === 'string' && name.length <= 100 ? `jobs[${index}] "${name}": ` : `jobs[${index}]: `;
}
