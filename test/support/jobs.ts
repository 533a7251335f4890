import { compileJob } from '../../src/config/compileJob.js';
import { parseJobsFile } from '../../src/config/jobsFile.js';
import { isPulsecheckError } from '../../src/domain/errors.js';
import type { JobInput } from '../../src/config/jobsSchema.js';
import type { Job } from '../../src/domain/job.js';

/** Compiles one job as the jobs file would; fails the test on any config issue. */
export function job(input: Partial<JobInput> & { url: string }): Job {
  const { job: compiled, issues } = compileJob(
    { name: 'target', ...input } as JobInput,
    {},
    { env: {}, source: 'config', where: '', pathPrefix: '' },
  );
  if (!compiled) throw new Error(`bad test job: ${issues.map((i) => i.message).join('; ')}`);
  return compiled;
}

/** The text of a jobs file with these jobs (and defaults). */
export const jobsFileText = (jobs: unknown[], defaults?: unknown) => JSON.stringify({ ...(defaults ? { defaults } : {}), jobs });

/** The messages of the config error parsing `text` throws; fails the test if it parses. */
export function problems(text: string, env: Record<string, string> = {}): string[] {
  try {
    parseJobsFile(text, env);
  } catch (error) {
    if (isPulsecheckError(error) && error.code === 'config_invalid') return error.issues.map((i) => i.message);
    throw error;
  }
  throw new Error('expected the file to be rejected');
}
