import { describe, expect, it } from 'vitest';
import { parseJobsFile } from '../../../src/config/jobsFile.js';
import { jobsJsonSchema } from '../../../src/config/jobsSchema.js';
import { jobsFileText as file, problems } from '../../support/jobs.js';

const sources = (text: string) => parseJobsFile(text, {}).map((job) => ({ name: job.name, degraded: job.degradedConditions?.map((c) => c.source), readBody: job.readBody }));

describe('degradedConditions in the jobs file', () => {
  it.each([
    { name: 'on the job', jobs: [{ name: 'a', url: 'https://a.test', degradedConditions: ['[RESPONSE_TIME] < 300'] }], defaults: undefined, degraded: ['[RESPONSE_TIME] < 300'], readBody: false },
    { name: 'from defaults', jobs: [{ name: 'a', url: 'https://a.test' }], defaults: { degradedConditions: ['[RESPONSE_TIME] < 300'] }, degraded: ['[RESPONSE_TIME] < 300'], readBody: false },
    { name: 'the job replaces defaults', jobs: [{ name: 'a', url: 'https://a.test', degradedConditions: ['[BODY].db == ok'] }], defaults: { degradedConditions: ['[RESPONSE_TIME] < 300'] }, degraded: ['[BODY].db == ok'], readBody: true },
    { name: 'none: absent', jobs: [{ name: 'a', url: 'https://a.test' }], defaults: undefined, degraded: undefined, readBody: false },
  ])('$name', ({ jobs, defaults, degraded, readBody }) => {
    expect(sources(file(jobs, defaults))).toEqual([{ name: 'a', degraded, readBody }]);
  });

  it('from a template', () => {
    const text = JSON.stringify({ templates: { slowIsBad: { degradedConditions: ['[RESPONSE_TIME] < 200'] } }, jobs: [{ name: 'a', url: 'https://a.test', extends: 'slowIsBad' }] });
    expect(sources(text)[0]?.degraded).toEqual(['[RESPONSE_TIME] < 200']);
  });

  it.each([
    ['an unknown placeholder', { degradedConditions: ['[RESPONSE_TIME] < 300', '[STAUTS] == 200'] }, 'jobs[0] "a": degradedConditions[1] "[STAUTS] == 200": unknown placeholder'],
    ['not a list', { degradedConditions: '[RESPONSE_TIME] < 300' }, 'jobs[0] "a": degradedConditions'],
  ])('%s is a config error naming the field', (_name, fields, message) => {
    expect(problems(file([{ name: 'a', url: 'https://a.test', ...fields }]))).toEqual([expect.stringContaining(message)]);
  });

  it('is in the JSON schema of jobs and defaults', () => {
    const schema = JSON.stringify(jobsJsonSchema());
    expect(schema.match(/"degradedConditions"/g)?.length).toBeGreaterThanOrEqual(3);
  });
});
