import { describe, expect, it } from 'vitest';
import { MemoryStore } from '../../../src/adapters/memory-store/memoryStore.js';
import { AlertChannels } from '../../../src/app/channels.js';
import type { Notifier } from '../../../src/app/ports/index.js';
import { SecretResolver } from '../../../src/app/secrets.js';
import { loadJobsFiles } from '../../../src/config/jobsFile.js';
import type { ChannelType, ResolvedChannel } from '../../../src/domain/alerting/channel.js';
import { FakeClock, MemorySecretStore } from '../../support/fakes.js';

/** A notifier that keeps what it was asked to send. */
class RecordingNotifier implements Notifier {
  readonly sent: ResolvedChannel[] = [];
  constructor(readonly type: ChannelType) {}
  async send(channel: ResolvedChannel) {
    this.sent.push(channel);
    return { ok: true as const, channel: channel.name, detail: 'kept' };
  }
  async close() {}
}

function world() {
  const { channels } = loadJobsFiles(
    {
      name: 'jobs.config.json',
      text: JSON.stringify({
      channels: {
        teams: { type: 'teams', url: 'https://flow.example.com/workflows/1?sig=${secret:teams-sig}' },
        hooks: { type: 'webhook', url: 'https://hooks.example.com/x', secret: 'hook-key' },
          oncall: { type: 'pagerduty', routingKey: '${secret:pd-key}' },
        },
        jobs: [],
      }),
    },
    undefined,
    {},
  );
  const store = new MemorySecretStore();
  const clock = new FakeClock(Date.parse('2026-01-05T10:00:00Z'));
  const notifiers = [new RecordingNotifier('teams'), new RecordingNotifier('webhook')];
  const audit = new MemoryStore();
  const app = new AlertChannels({ channels: () => channels, notifiers, secrets: new SecretResolver(store, clock), clock, audit, location: 'westeurope' });
  return { app, store, notifiers, audit };
}
const actor = { name: 'ops', via: 'none' } as const;

describe('AlertChannels: secrets resolved at send time, failures as data', () => {
  it('fills ${secret:…} in a URL and reads the webhook signing key from its secret', async () => {
    const { app, store, notifiers } = world();
    store.set('teams-sig', 's3cr3t');
    store.set('hook-key', 'whsec_abc');
    expect((await app.test('teams', actor)).delivery.ok).toBe(true);
    expect((await app.test('hooks', actor)).delivery.ok).toBe(true);
    expect(notifiers[0]?.sent[0]).toMatchObject({ url: 'https://flow.example.com/workflows/1?sig=s3cr3t' });
    expect(notifiers[1]?.sent[0]).toMatchObject({ url: 'https://hooks.example.com/x', signingKey: 'whsec_abc' });
  });

  it('says which secret is missing (retryable: it may be added), without calling the notifier', async () => {
    const { app, notifiers } = world();
    const { delivery } = await app.test('hooks', actor);
    expect(delivery).toMatchObject({ ok: false, retryable: true, message: expect.stringContaining('"hook-key"') });
    expect(notifiers[1]?.sent).toHaveLength(0);
  });

  it('refuses a channel without a notifier of its type, and an unknown name', async () => {
    const { app, store } = world();
    store.set('pd-key', 'k');
    expect((await app.test('oncall', actor)).delivery).toMatchObject({ ok: false, retryable: false, message: 'no notifier sends to pagerduty channels' });
    await expect(app.test('nope', actor)).rejects.toMatchObject({ code: 'not_found' });
    expect(await app.send('nope', {} as never, new AbortController().signal)).toMatchObject({ ok: false, retryable: false });
  });

  it('audits each test with its outcome and a test event of its own', async () => {
    const { app, store, audit } = world();
    store.set('teams-sig', 's3cr3t');
    const first = await app.test('teams', actor);
    const second = await app.test('teams', actor);
    expect(first.eventId).not.toBe(second.eventId);
    const entries = await audit.listAudit({ limit: 10 });
    expect(entries.map((e) => [e.action, e.job, e.after])).toEqual([
      ['channel.test', 'teams', { type: 'teams', ok: true, detail: 'kept' }],
      ['channel.test', 'teams', { type: 'teams', ok: true, detail: 'kept' }],
    ]);
    expect(JSON.stringify(entries)).not.toContain('s3cr3t');
  });
});
