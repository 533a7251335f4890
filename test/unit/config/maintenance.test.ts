import { describe, expect, it } from 'vitest';
import { loadJobsFiles, parseJobsFile } from '../../../src/config/jobsFile.js';
import { jobsJsonSchema } from '../../../src/config/jobsSchema.js';
import { problems } from '../../support/jobs.js';

const JOBS = [
  { name: 'billing', url: 'https://billing.test', tags: { team: 'payments' } },
  { name: 'search', url: 'https://search.test', tags: { team: 'discovery' } },
];
const text = (maintenance: unknown[]) => JSON.stringify({ maintenance, jobs: JOBS });

describe('maintenance windows in the jobs file', () => {
  it.each([
    { name: 'by name', maintenance: [{ name: 'db upgrade', schedule: '0 2 * * 0', duration: '2h', jobs: ['Billing'] }], billing: ['db upgrade'], search: undefined },
    { name: 'by tags', maintenance: [{ name: 'patching', schedule: '0 0 3 * * *', duration: '30m', tags: { team: 'discovery' }, checks: 'pause' }], billing: undefined, search: ['patching'] },
    {
      name: 'two windows, one job each',
      maintenance: [
        { name: 'a', schedule: '0 2 * * *', duration: '1h', jobs: ['billing', 'search'], timezone: 'Europe/Amsterdam' },
        { name: 'b', schedule: '0 4 * * *', duration: '1h', tags: { team: 'payments' } },
      ],
      billing: ['a', 'b'],
      search: ['a'],
    },
  ])('$name: each job gets the windows that select it', ({ maintenance, billing, search }) => {
    const jobs = parseJobsFile(text(maintenance), {});
    const names = (job: string) => jobs.find((j) => j.name === job)?.maintenance?.map((w) => w.name);
    expect({ billing: names('billing'), search: names('search') }).toEqual({ billing, search });
  });

  it('compiles the window: duration in ms, checks default run, time zone on the schedule', () => {
    const [job] = parseJobsFile(text([{ name: 'a', schedule: '0 2 * * *', duration: '90m', jobs: ['billing'], timezone: 'Europe/Amsterdam' }]), {});
    expect(job?.maintenance?.[0]).toMatchObject({ name: 'a', durationMs: 5_400_000, checks: 'run', jobs: ['billing'], schedule: { kind: 'cron', timezone: 'Europe/Amsterdam' } });
  });

  it('keeps the windows for API jobs (those selecting by tags apply to them)', () => {
    const loaded = loadJobsFiles({ name: 'jobs.config.json', text: text([{ name: 'p', schedule: '0 2 * * *', duration: '1h', tags: { team: 'x' } }]) }, undefined, {});
    expect(loaded.maintenance.map((w) => w.name)).toEqual(['p']);
  });

  it.each([
    ['an unknown job', { jobs: ['billing', 'nope'] }, 'maintenance[0] "w": jobs[1] "nope" is not a job of the file'],
    ['a bad duration', { duration: '2 hours' }, 'maintenance[0] "w": duration "2 hours" is not a duration'],
    ['a zero duration', { duration: '0m' }, 'maintenance[0] "w": duration "0m" is not a duration'],
    ['a duration over 31 days', { duration: '32d' }, 'maintenance[0] "w": duration "32d" is longer than the maximum of 31d'],
    ['a bad time zone', { timezone: 'Mars/Olympus' }, 'maintenance[0] "w": timezone "Mars/Olympus" is not an IANA time zone'],
    ['a bad schedule', { schedule: '0 2 * *' }, 'maintenance[0] "w": schedule "0 2 * *" is not NCRONTAB (expected 5 or 6 fields, got 4)'],
    ['both jobs and tags', { tags: { team: 'payments' } }, 'maintenance[0] "w": jobs and tags are exclusive'],
    ['neither jobs nor tags', { jobs: undefined }, 'maintenance[0] "w": jobs is required, or tags'],
    ['empty tags', { jobs: undefined, tags: {} }, 'maintenance[0] "w": tags must name at least one tag'],
    ['a bad checks value', { checks: 'skip' }, 'maintenance[0].checks must be one of "run", "pause"'],
    ['an unknown field', { window: 1 }, 'unknown field "window"'],
  ])('%s is a config error naming the field', (_name, fields, message) => {
    const w = { name: 'w', schedule: '0 2 * * *', duration: '2h', jobs: ['billing'], ...fields };
    expect(problems(text([w])).join('\n')).toContain(message);
  });

  it('reports a repeated window name', () => {
    const w = { name: 'w', schedule: '0 2 * * *', duration: '2h', jobs: ['billing'] };
    expect(problems(text([w, { ...w, name: 'W' }]))).toEqual([expect.stringContaining('maintenance[1] "W": name is already used')]);
  });

  it('is in the JSON schema', () => {
    const schema = jobsJsonSchema() as { properties: Record<string, unknown> };
    expect(JSON.stringify(schema.properties.maintenance)).toContain('"checks"');
  });
});
