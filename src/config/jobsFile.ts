import { configError, type Issue } from '../domain/errors.js';
import type { Channel } from '../domain/alerting/channel.js';
import type { Job } from '../domain/job.js';
import { compileChannels } from './channelsSchema.js';
import { compileJob, problemsBeyond } from './compileJob.js';
import { describeZodIssue } from './issues.js';
import { z } from 'zod';
import { defaultsSchema, jobSchema, jobsFileSchema } from './jobsSchema.js';
import type { Env } from './substitute.js';

/**
 * Parses the text of a jobs file into domain jobs. Every problem is reported at once, each naming the
 * job and the field, e.g. `jobs[2] "billing": schedule "0 *\/5 * *" is not NCRONTAB (expected 5 or 6 fields)`.
 * @throws PulsecheckError `config_invalid` with one issue per problem.
 */
export function parseJobsFile(text: string, env: Env, fileName = 'jobs.config.json'): Job[] {
  return parseJobsConfig(text, env, fileName).jobs;
}

/** What the jobs file defines: its jobs and its notification channels (by name). */
export interface JobsConfig {
  readonly jobs: Job[];
  readonly channels: ReadonlyMap<string, Channel>;
}

/** `parseJobsFile`, with the file's channels (docs/alerting.md). */
export function parseJobsConfig(text: string, env: Env, fileName = 'jobs.config.json'): JobsConfig {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    throw configError([{ path: '', message: `${fileName} is not valid JSON: ${(error as Error).message}` }], fileName);
  }
  const issues: Issue[] = [];
  const file = jobsFileShape.safeParse(raw, { reportInput: true });
  if (!file.success) {
    throw configError(file.error.issues.map((issue) => describeZodIssue(issue, '', 0)), fileName);
  }
  const defaults = defaultsSchema.safeParse(file.data.defaults ?? {}, { reportInput: true });
  if (!defaults.success) {
    for (const issue of defaults.error.issues) {
      issues.push(describeZodIssue({ ...issue, path: ['defaults', ...issue.path] }, 'defaults: ', 1));
    }
  }
  const compiled = compileChannels(file.data.channels ?? {}, env);
  issues.push(...compiled.issues);
  const channels = new Set(compiled.channels.keys());
  const jobs: Job[] = [];
  const seen = new Map<string, number>();
  file.data.jobs.forEach((rawJob, index) => {
    const where = jobLabel(rawJob, index);
    const name = (rawJob as { name?: unknown } | null)?.name;
    if (typeof name === 'string') {
      const first = seen.get(name.toLowerCase());
      if (first === undefined) seen.set(name.toLowerCase(), index);
      else issues.push({ path: `jobs[${index}].name`, message: `${where}name is already used by jobs[${first}] (names are unique, ignoring case)` });
    }
    const parsed = jobSchema.safeParse(rawJob, { reportInput: true });
    if (!parsed.success) {
      for (const issue of parsed.error.issues) {
        issues.push(describeZodIssue({ ...issue, path: ['jobs', index, ...issue.path] }, where, 2));
      }
      if (defaults.success) {
        const options = { env, source: 'config', where, pathPrefix: `jobs[${index}].`, channels } as const;
        issues.push(...problemsBeyond(parsed.error.issues, rawJob, (input) => compileJob(input, defaults.data, options).issues, options.pathPrefix));
      }
      return;
    }
    const input = parsed.data;
    if (!defaults.success) return;
    const result = compileJob(input, defaults.data, { env, source: 'config', where, pathPrefix: `jobs[${index}].`, channels });
    issues.push(...result.issues);
    if (result.job) jobs.push(result.job);
  });
  if (issues.length > 0) throw configError(issues, fileName);
  return { jobs, channels: compiled.channels };
}

/** The file's outline; each job is then checked on its own, so every job's problems are reported. */
const jobsFileShape = jobsFileSchema.extend({ defaults: z.unknown().optional(), jobs: z.array(z.unknown()) });

/** `jobs[2] "billing": ` (or `jobs[2]: ` when the job has no usable name). */
function jobLabel(rawJob: unknown, index: number): string {
  const name = (rawJob as { name?: unknown } | null)?.name;
  return typeof name === 'string' && name.length <= 100 ? `jobs[${index}] "${name}": ` : `jobs[${index}]: `;
}
