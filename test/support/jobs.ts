import { compileJob } from '../../src/config/compileJob.js';
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
