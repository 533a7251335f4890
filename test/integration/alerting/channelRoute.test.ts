import { randomBytes } from 'node:crypto';
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApi, type ApiHost } from '../../support/api.js';
import { startReceiver, startSmtp, type Receiver } from '../../support/receivers.js';
import { closedPort } from '../../support/servers.js';

const KEY = `whsec_${randomBytes(32).toString('base64')}`;

/** POST /api/channels/{name}/test on the local host, with the channels of a real jobs file. */
describe('POST /api/channels/{name}/test', () => {
  let receiver: Receiver;
  let smtp: Awaited<ReturnType<typeof startSmtp>>;
  let api: ApiHost;

  beforeAll(async () => {
    receiver = await startReceiver();
    smtp = await startSmtp();
    const port = await closedPort();
    api = await startApi(
      {
        channels: {
          hooks: { type: 'webhook', url: `${receiver.url}/hook`, secret: 'hook-key' },
          unsigned: { type: 'webhook', url: `${receiver.url}/hook`, secret: 'missing-key' },
          mail: { type: 'email', to: ['oncall@example.com'], template: { title: 'Pulsecheck: {{job}} {{status}}' } },
          gone: { type: 'slack', url: `http://127.0.0.1:${port}/services/x` },
        },
        jobs: [{ name: 'fileJob', url: `${receiver.url}/health`, every: '1h', alerts: [{ channels: ['hooks'] }] }],
      },
      { PULSECHECK_SECRET_HOOK_KEY: KEY, PULSECHECK_SMTP_URL: smtp.url, PULSECHECK_SMTP_FROM: 'alerts@example.com' },
    );
  });
  afterAll(async () => {
    await api?.host.stop();
    await receiver?.close();
    await smtp?.close();
  });

  it('sends a signed alert.test event through a webhook channel and says it was delivered', async () => {
    const response = await api.call('POST', '/channels/hooks/test');
    expect(response.status).toBe(200);
    const body = (await response.json()) as { channel: string; type: string; eventId: string; delivery: { ok: boolean; status: number } };
    expect(body).toMatchObject({ channel: 'hooks', type: 'webhook', delivery: { ok: true, status: 200 } });
    const got = receiver.received.at(-1);
    const event = new Webhook(KEY).verify(got?.body ?? '', got?.headers as Record<string, string>) as { type: string; data: { job: string } };
    expect(event.type).toBe('alert.test');
    expect(got?.headers['webhook-id']).toBe(body.eventId);
  });

  it('sends an e-mail through PULSECHECK_SMTP_URL with the channel template', async () => {
    const response = await api.call('POST', '/channels/mail/test');
    expect(await response.json()).toMatchObject({ type: 'email', delivery: { ok: true } });
    expect(smtp.mails.at(-1)).toMatchObject({ from: 'alerts@example.com', to: ['oncall@example.com'] });
    expect(smtp.mails.at(-1)?.data).toContain('Subject: Pulsecheck: pulsecheck-test up');
  });

  it.each([
    ['unsigned', { ok: false, retryable: true, message: expect.stringContaining('"missing-key"') }],
    ['gone', { ok: false, retryable: true, message: expect.stringContaining('no answer from 127.0.0.1') }],
  ])('reports a delivery that failed (%s) as data, 200', async (name, delivery) => {
    const response = await api.call('POST', `/channels/${name}/test`);
    expect(response.status).toBe(200);
    expect(((await response.json()) as { delivery: unknown }).delivery).toMatchObject(delivery);
  });

  it('answers 404 for a channel the jobs file does not define, 400 for a name no channel can have', async () => {
    const missing = await api.call('POST', '/channels/nope/test');
    expect(missing.status).toBe(404);
    expect(await missing.json()).toMatchObject({ code: 'not_found', detail: 'channel "nope" was not found' });
    expect((await api.call('POST', `/channels/${'x'.repeat(70)}/test`)).status).toBe(400);
  });

  it('records each test in the audit log with what happened', async () => {
    await api.call('POST', '/channels/hooks/test');
    const { entries } = (await (await api.call('GET', '/audit')).json()) as { entries: Array<{ action: string; job: string; after: Record<string, unknown> }> };
    expect(entries.find((e) => e.action === 'channel.test' && e.job === 'hooks')?.after).toMatchObject({ type: 'webhook', ok: true });
    expect(entries.find((e) => e.action === 'channel.test' && e.job === 'unsigned')?.after).toMatchObject({ ok: false, retryable: true });
  });

  it('API jobs may name channels of the jobs file, and get an error naming the field for any other', async () => {
    const named = await api.call('POST', '/jobs', { body: { name: 'apiJob', url: `${receiver.url}/health`, alerts: [{ channels: ['hooks'], remindEvery: '30m' }] } });
    expect(named.status).toBe(201);
    const unknown = await api.call('POST', '/jobs', { body: { name: 'apiJob2', url: `${receiver.url}/health`, alerts: [{ channels: ['elsewhere'] }] } });
    expect(unknown.status).toBe(400);
    expect(await unknown.json()).toMatchObject({ issues: [{ path: 'alerts[0].channels[0]', message: expect.stringContaining('"elsewhere" is not a channel of the jobs file') }] });
    const defined = await api.call('POST', '/jobs', { body: { name: 'apiJob3', url: `${receiver.url}/health`, channels: { mine: { type: 'slack', url: 'https://x.example.com' } } } });
    expect(defined.status).toBe(400);
  });
});
