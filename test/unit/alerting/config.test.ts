import { describe, expect, it } from 'vitest';
import { loadJobsFiles } from '../../../src/config/jobsFile.js';
import { problems } from '../../support/jobs.js';

const CHANNELS = {
  oncall: { type: 'pagerduty', routingKey: '${secret:pagerduty-routing-key}' },
  platform: { type: 'slack', url: '${secret:slack-webhook-url}' },
  teams: { type: 'teams', url: 'https://prod.westeurope.logic.azure.com/workflows/x?sig=${secret:teams-sig}' },
  hooks: { type: 'webhook', url: 'https://${env:HOOKS_HOST}/pulsecheck', secret: 'webhook-signing-secret' },
  mail: { type: 'email', to: ['oncall@example.com'], template: { title: '[{{status}}] {{job}}' } },
};
const file = (jobs: unknown[], extra: Record<string, unknown> = {}) => JSON.stringify({ channels: CHANNELS, jobs, ...extra });
const base = { name: 'billing', url: 'https://billing.example.com/health' };

describe('channels and alert rules in the jobs file', () => {
  it('compiles the issue\'s channels, with secrets as references and rules with their defaults', () => {
    const config = loadJobsFiles({ name: 'jobs.config.json', text: file([{ ...base, alerts: [{ channels: ['oncall', 'mail'], remindEvery: '30m' }] }]) }, undefined, { HOOKS_HOST: 'hooks.example.com' });
    expect([...config.channels.keys()]).toEqual(['oncall', 'platform', 'teams', 'hooks', 'mail']);
    expect(config.channels.get('hooks')).toMatchObject({ url: 'https://hooks.example.com/pulsecheck', secrets: [{ id: 'webhook-signing-secret' }] });
    expect(config.channels.get('oncall')).toMatchObject({ routingKey: '${secret:pagerduty-routing-key}', severity: 'critical', secrets: [{ id: 'pagerduty-routing-key' }] });
    expect(config.channels.get('teams')?.secrets).toEqual([{ name: 'teams-sig', id: 'teams-sig' }]);
    expect(config.jobs[0]?.alerts).toEqual([
      { index: 0, channels: ['oncall', 'mail'], failureThreshold: 3, successThreshold: 2, sendOnResolved: true, remindEveryMs: 1_800_000, on: ['down'], minLocations: 1 },
    ]);
  });

  it('takes the rules of defaults unless the job has its own', () => {
    const text = file([base, { ...base, name: 'other', alerts: [{ channels: ['platform'], failureThreshold: 1 }] }], { defaults: { alerts: [{ channels: ['oncall'] }] } });
    const [billing, other] = loadJobsFiles({ name: 'jobs.config.json', text }, undefined, { HOOKS_HOST: 'h.example.com' }).jobs;
    expect(billing?.alerts?.map((r) => r.channels)).toEqual([['oncall']]);
    expect(other?.alerts?.map((r) => [r.channels, r.failureThreshold])).toEqual([[['platform'], 1]]);
  });

  it.each([
    [{ alerts: [{ channels: ['nope'] }] }, 'jobs[0] "billing": alerts[0].channels[0] "nope" is not a channel of the jobs file (channels: hooks, mail, oncall, platform, teams)'],
    [{ alerts: [{ channels: ['oncall'], remindEvery: '1m' }] }, 'jobs[0] "billing": alerts[0].remindEvery "1m" must be at least 5m'],
    [{ alerts: [{ channels: ['oncall'], remindEvery: 'often' }] }, 'jobs[0] "billing": alerts[0].remindEvery "often" is not a duration such as "30m" or "2h"'],
    [{ alerts: [{ channels: ['oncall'], on: ['degraded'] }] }, 'jobs[0] "billing": alerts[0].on must include "down" (["down"] or ["down", "degraded"])'],
    [{ alerts: [{ channels: ['oncall'], failureThreshold: 0 }] }, 'jobs[0] "billing": alerts[0].failureThreshold must be at least 1'],
    [{ alerts: [{ channels: [] }] }, 'jobs[0] "billing": alerts[0].channels must have at least 1 items'],
  ])('rule %j → %s', (extra, message) => {
    expect(problems(file([{ ...base, ...extra }]), { HOOKS_HOST: 'h.example.com' })).toContain(message);
  });

  it.each([
    [{ x: { type: 'sms', to: '1' } }, 'channels.x.type'],
    [{ x: { type: 'slack', url: 'ftp://slack' } }, 'channels.x.url "ftp://slack" is not an absolute http(s) URL'],
    [{ x: { type: 'webhook', url: 'https://h.example.com', secret: 'bad name!' } }, 'channels.x.secret must name a Key Vault secret'],
    [{ x: { type: 'email', to: ['not-an-address'] } }, 'channels.x.to[0] must be an e-mail address'],
    [{ x: { type: 'slack', url: 'https://${env:NOPE}/' } }, 'channels.x.url references ${env:NOPE}, which is not set'],
    [{ x: { type: 'slack', url: 'https://h/', template: { text: '{{job}} {{secret}}' } } }, 'channels.x.template.text has unknown placeholders {{secret}}'],
    [{ x: { type: 'pagerduty', routingKey: '${secret:bad name}' } }, 'channels.x.routingKey references ${secret:bad name}'],
    [{ 'bad name': { type: 'slack', url: 'https://h/' } }, 'channels'],
  ])('channel %j → %s', (channels, message) => {
    const found = problems(JSON.stringify({ channels, jobs: [] }));
    expect(found.some((p) => p.includes(message)), found.join('\n')).toBe(true);
  });
});
