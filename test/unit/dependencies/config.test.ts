import { describe, expect, it } from 'vitest';
import { parseJobsFile } from '../../../src/config/jobsFile.js';
import { jobsFileText, problems } from '../../support/jobs.js';

const url = 'http://127.0.0.1:1/health';

describe('dependsOn and follow-ups in the jobs file', () => {
  it('compiles the links of a job, with whenUpstreamDown defaulting to skip', () => {
    const jobs = parseJobsFile(
      jobsFileText([
        { name: 'db', url, onFailure: ['dbDiagnostics'] },
        { name: 'dbDiagnostics', url },
        { name: 'api', url, dependsOn: ['db'] },
        { name: 'batch', url, dependsOn: ['db', 'api'], whenUpstreamDown: 'silent', onCompletion: ['dbDiagnostics'] },
      ]),
      {},
    );
    const byName = new Map(jobs.map((job) => [job.name, job]));
    expect(byName.get('api')?.dependencies).toEqual({ dependsOn: ['db'], whenUpstreamDown: 'skip' });
    expect(byName.get('batch')?.dependencies).toEqual({ dependsOn: ['db', 'api'], whenUpstreamDown: 'silent' });
    expect(byName.get('db')?.followUps).toEqual({ onFailure: ['dbDiagnostics'], onSuccess: [], onCompletion: [] });
    expect(byName.get('dbDiagnostics')?.dependencies).toBeUndefined();
    expect(byName.get('dbDiagnostics')?.followUps).toBeUndefined();
  });

  it.each([
    {
      name: 'an unknown upstream job',
      jobs: [{ name: 'api', url, dependsOn: ['databse'] }, { name: 'database', url }],
      expected: ['jobs[0] "api": dependsOn[0] "databse" is not a job'],
    },
    {
      name: 'a cycle of dependsOn, named',
      jobs: [{ name: 'a', url, dependsOn: ['b'] }, { name: 'b', url, dependsOn: ['c'] }, { name: 'c', url, dependsOn: ['a'] }],
      expected: ['jobs[0] "a": dependsOn forms a cycle: a → b → c → a'],
    },
    {
      name: 'an unknown follow-up',
      jobs: [{ name: 'a', url, onFailure: ['diag'] }],
      expected: ['jobs[0] "a": onFailure[0] "diag" is not a job'],
    },
    {
      name: 'a cycle of follow-ups',
      jobs: [{ name: 'a', url, onFailure: ['b'] }, { name: 'b', url, onSuccess: ['a'] }],
      expected: ['jobs[0] "a": onFailure forms a cycle of follow-ups: a → b → a'],
    },
    {
      name: 'a bad whenUpstreamDown',
      jobs: [{ name: 'a', url, dependsOn: ['b'], whenUpstreamDown: 'ignore' }, { name: 'b', url }],
      expected: [expect.stringMatching(/^jobs\[0\] "a": whenUpstreamDown .*"skip".*"silent"/) as unknown as string],
    },
  ])('rejects $name', ({ jobs, expected }) => {
    expect(problems(jobsFileText(jobs))).toEqual(expected);
  });

  it('names a job that has problems of its own as known (one problem, not two)', () => {
    const found = problems(jobsFileText([{ name: 'db', url: 'not a url' }, { name: 'api', url, dependsOn: ['db'] }]));
    expect(found).toHaveLength(1);
    expect(found[0]).toContain('jobs[0] "db": url');
  });
});
