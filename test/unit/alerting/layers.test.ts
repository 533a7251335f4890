import { describe, expect, it } from 'vitest';
import { loadJobsFiles } from '../../../src/config/jobsFile.js';
import { compileApiJob } from '../../../src/config/apiJob.js';
import { isPulsecheckError } from '../../../src/domain/errors.js';
import { networkPolicy } from '../../../src/domain/network.js';
import { UNRESTRICTED } from '../../../src/domain/sandbox.js';

// Channels and alert rules meet templates, defaults and environment overlays (issues 14 and 15).
const base = {
  defaults: { every: '5m', alerts: [{ channels: ['platform'] }] },
  templates: {
    critical: { alerts: [{ channels: ['oncall'], failureThreshold: 1 }] },
    badRule: { alerts: [{ channels: ['nowhere'] }] },
  },
  channels: {
    platform: { type: 'slack', url: 'https://hooks.example.com/dev', template: { title: '{{job}}' } },
    oncall: { type: 'pagerduty', routingKey: '${secret:pd-key}' },
  },
  jobs: [
    { name: 'billing', url: 'https://billing.example.com/health' },
    { name: 'payments', url: 'https://payments.example.com/health', extends: 'critical' },
    { name: 'reports', url: 'https://reports.example.com/health', extends: 'critical', alerts: [{ channels: ['platform'], failureThreshold: 5 }] },
  ],
};
const text = (value: unknown) => JSON.stringify(value);
const load = (overlay?: unknown, file: unknown = base) =>
  loadJobsFiles({ name: 'jobs.config.json', text: text(file) }, overlay === undefined ? undefined : { name: 'jobs.config.prod.json', text: text(overlay) }, {});
const rules = (loaded: ReturnType<typeof load>) => Object.fromEntries(loaded.jobs.map((j) => [j.name, j.alerts?.map((r) => [r.channels, r.failureThreshold])]));
function rejection(run: () => unknown): { message: string; problems: string[] } {
  try {
    run();
  } catch (error) {
    if (isPulsecheckError(error)) return { message: error.message, problems: error.issues.map((i) => i.message) };
    throw error;
  }
  throw new Error('expected the files to be rejected');
}
const problems = (run: () => unknown) => rejection(run).problems;

describe('alert rules through the layers', () => {
  it('come from defaults, a template or the job itself: the last layer that sets them wins', () => {
    expect(rules(load())).toEqual({
      billing: [[['platform'], 3]],
      payments: [[['oncall'], 1]],
      reports: [[['platform'], 5]],
    });
  });

  it('a rule a template brings names a channel of the file, and the message names the template', () => {
    const file = { ...base, jobs: [{ name: 'audit', url: 'https://audit.example.com/', extends: 'badRule' }] };
    expect(problems(() => load(undefined, file))).toEqual([
      'jobs[0] "audit": alerts[0].channels[0] "nowhere" is not a channel of the jobs file (channels: oncall, platform) (from template "badRule")',
    ]);
  });
});

describe('channels in an environment overlay', () => {
  it.each([
    ['adds a channel the overlay\'s jobs name', { channels: { mail: { type: 'email', to: ['ops@example.com'] } }, jobs: [{ name: 'billing', alerts: [{ channels: ['mail'] }] }] }, 'mail', { type: 'email', to: ['ops@example.com'] }],
    ['changes a channel field by field, keeping the rest', { channels: { platform: { url: 'https://hooks.example.com/prod' } } }, 'platform', { type: 'slack', url: 'https://hooks.example.com/prod', template: { title: '{{job}}' } }],
    ['replaces a channel of another type whole (no pagerduty routingKey left on a slack channel)', { channels: { oncall: { type: 'slack', url: 'https://hooks.example.com/oncall' } } }, 'oncall', { type: 'slack', url: 'https://hooks.example.com/oncall' }],
  ])('%s', (_, overlay, name, expected) => {
    const loaded = load(overlay);
    expect(loaded.channels.get(name)).toMatchObject(expected);
    expect(loaded.channels.get(name)).not.toHaveProperty('routingKey');
  });

  it('a job of the base may name a channel only the overlay defines; without the overlay it may not', () => {
    const file = { ...base, jobs: [{ name: 'billing', url: 'https://billing.example.com/', alerts: [{ channels: ['mail'] }] }] };
    expect(rules(load({ channels: { mail: { type: 'email', to: ['ops@example.com'] } } }, file))).toEqual({ billing: [[['mail'], 3]] });
    expect(problems(() => load(undefined, file))).toEqual([expect.stringContaining('alerts[0].channels[0] "mail" is not a channel of the jobs file')]);
  });

  it('a bad channel of the merged files names the field and both files, with the jobs\' problems', () => {
    const overlay = { channels: { platform: { url: 'ftp://hooks.example.com' }, x: { type: 'sms' } }, jobs: [{ name: 'billing', every: 'often' }] };
    const { message, problems: found } = rejection(() => load(overlay));
    expect(message).toContain('jobs.config.json + jobs.config.prod.json');
    expect(found).toEqual(
      expect.arrayContaining([
        expect.stringContaining('channels.x.type'),
        expect.stringContaining('jobs[0] "billing": every'),
      ]),
    );
  });
});

describe('API jobs take the shared parts and name the file\'s channels', () => {
  const loaded = load();
  const compile = compileApiJob({}, networkPolicy({}), () => loaded.shared, () => loaded.channels);

  it.each([
    ['defaults\' rule', {}, [[['platform'], 3]]],
    ['a template\'s rule', { extends: 'critical' }, [[['oncall'], 1]]],
    ['its own rule', { alerts: [{ channels: ['oncall', 'platform'] }] }, [[['oncall', 'platform'], 3]]],
  ])('%s', (_, fields, expected) => {
    const { job, issues } = compile({ name: 'api', url: 'https://api.example.com/', ...fields }, UNRESTRICTED);
    expect(issues).toEqual([]);
    expect(job?.alerts?.map((r) => [r.channels, r.failureThreshold])).toEqual(expected);
  });

  it('a channel the file does not define is an issue naming the field', () => {
    const { job, issues } = compile({ name: 'api', url: 'https://api.example.com/', alerts: [{ channels: ['mine'] }] }, UNRESTRICTED);
    expect(job).toBeUndefined();
    expect(issues).toEqual([{ path: 'alerts[0].channels[0]', message: expect.stringContaining('"mine" is not a channel of the jobs file') }]);
  });

  it('an API job cannot define a channel: `channels` is no field of a job', () => {
    const { job, issues } = compile({ name: 'api', url: 'https://api.example.com/', channels: { mine: { type: 'webhook', url: 'https://hooks.example.com/', secret: 'k' } } }, UNRESTRICTED);
    expect(job).toBeUndefined();
    expect(issues).toEqual([expect.objectContaining({ message: expect.stringContaining('channels') })]);
  });
});
