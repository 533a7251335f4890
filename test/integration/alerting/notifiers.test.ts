import { randomBytes } from 'node:crypto';
import { Webhook } from 'standardwebhooks';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { EmailNotifier } from '../../../src/adapters/notify-email/emailNotifier.js';
import { PagerDutyNotifier } from '../../../src/adapters/notify-pagerduty/pagerDutyNotifier.js';
import { SlackNotifier } from '../../../src/adapters/notify-slack/slackNotifier.js';
import { TeamsNotifier } from '../../../src/adapters/notify-teams/teamsNotifier.js';
import { WebhookNotifier } from '../../../src/adapters/notify-webhook/webhookNotifier.js';
import { withDependents, type AlertEvent, type AlertRun, type AlertStatus } from '../../../src/domain/alerting/event.js';
import { decideAlert, INITIAL_ALERT_STATE, type AlertRule } from '../../../src/domain/alerting/rule.js';
import { networkPolicy } from '../../../src/domain/network.js';
import { startReceiver, startSmtp, type Receiver } from '../../support/receivers.js';

/** Loopback allowed, as the local tools do: the receivers listen on 127.0.0.1. */
const LOCAL = networkPolicy({ allowed: ['127.0.0.0/8'] });
const T0 = Date.parse('2026-01-05T10:00:00Z');
const MINUTE = 60_000;
const RULE: AlertRule = { index: 0, channels: ['x'], failureThreshold: 2, successThreshold: 1, sendOnResolved: true, remindEveryMs: 5 * MINUTE, on: ['down'], minLocations: 1 };

const run = (at: number, status: AlertStatus, job = 'billing'): AlertRun => ({
  runId: `${job}@${new Date(at).toISOString()}`,
  job,
  status,
  startedAt: new Date(at).toISOString(),
  httpStatus: status === 'up' ? 200 : 503,
  conditions: [{ condition: '[BODY].status == UP', success: status === 'up', actual: status === 'up' ? 'UP' : '<!channel> & DOWN' }],
  location: 'westeurope',
});

/** The events decideAlert gives for one run a minute of `sequence` (D down, U up). */
function events(sequence: string, job = 'billing', start = T0): AlertEvent[] {
  let state = INITIAL_ALERT_STATE;
  const out: AlertEvent[] = [];
  [...sequence].forEach((letter, i) => {
    const at = start + i * MINUTE;
    const { next, effects } = decideAlert(state, run(at, letter === 'D' ? 'down' : 'up', job), at, RULE);
    state = next;
    out.push(...effects.map((e) => e.event));
  });
  return out;
}
const signal = () => new AbortController().signal;

describe('notifiers against real local receivers', () => {
  let receiver: Receiver;
  beforeAll(async () => {
    receiver = await startReceiver();
  });
  afterEach(() => {
    receiver.received.length = 0;
    receiver.answer = { status: 200, body: 'ok' };
  });
  afterAll(() => receiver.close());

  describe('webhook (Standard Webhooks)', () => {
    const key = `whsec_${randomBytes(32).toString('base64')}`;
    const notifier = new WebhookNotifier(LOCAL);
    afterAll(() => notifier.close());
    const channel = () => ({ name: 'hooks', type: 'webhook', url: `${receiver.url}/hook`, signingKey: key }) as const;

    it('sends { type, timestamp, data } signed so that the standardwebhooks verifier accepts it', async () => {
      const [triggered] = events('DD');
      const delivery = await notifier.send(channel(), triggered as AlertEvent, signal());
      expect(delivery).toMatchObject({ ok: true, status: 200 });
      const [got] = receiver.received;
      const verified = new Webhook(key).verify(got?.body ?? '', got?.headers as Record<string, string>) as AlertEvent;
      expect(verified).toEqual({ type: 'alert.triggered', timestamp: triggered?.timestamp, data: triggered?.data });
      expect(verified.data).toMatchObject({ job: 'billing', status: 'down', failures: 2, location: 'westeurope', since: '2026-01-05T10:00:00.000Z' });
      expect(got?.headers['webhook-id']).toBe(triggered?.id);
    });

    it('is refused by a verifier with another key (the signature is real)', async () => {
      await notifier.send(channel(), events('DD')[0] as AlertEvent, signal());
      const [got] = receiver.received;
      expect(() => new Webhook(`whsec_${randomBytes(32).toString('base64')}`).verify(got?.body ?? '', got?.headers as Record<string, string>)).toThrow();
    });

    it.each([
      { status: 503, retryable: true },
      { status: 429, retryable: true },
      { status: 408, retryable: true },
      { status: 400, retryable: false },
      { status: 410, retryable: false },
    ])('classifies HTTP $status as retryable: $retryable', async ({ status, retryable }) => {
      receiver.answer = { status, headers: status === 429 ? { 'retry-after': '7' } : {}, body: 'nope' };
      const delivery = await notifier.send(channel(), events('DD')[0] as AlertEvent, signal());
      expect(delivery).toMatchObject({ ok: false, retryable, status, message: `127.0.0.1:${receiver.port} answered ${status}: nope` });
      if (status === 429) expect(delivery).toMatchObject({ retryAfterMs: 7_000 });
    });

    it('says a bad signing key is not retryable, without sending', async () => {
      const delivery = await notifier.send({ ...channel(), signingKey: 'not a key!' }, events('DD')[0] as AlertEvent, signal());
      expect(delivery).toMatchObject({ ok: false, retryable: false });
      expect(receiver.received).toHaveLength(0);
    });
  });

  it('the target guard applies: with the default policy a loopback receiver is refused and never reached', async () => {
    const notifier = new SlackNotifier(networkPolicy());
    const delivery = await notifier.send({ name: 'platform', type: 'slack', url: `${receiver.url}/slack` }, events('DD')[0] as AlertEvent, signal());
    await notifier.close();
    expect(delivery).toMatchObject({ ok: false, retryable: false });
    expect(delivery.ok ? '' : delivery.message).toContain('target guard refused');
    expect(receiver.received).toHaveLength(0);
  });

  it('an unreachable receiver is retryable', async () => {
    const notifier = new TeamsNotifier(LOCAL);
    const gone = await startReceiver();
    await gone.close();
    const delivery = await notifier.send({ name: 'teams', type: 'teams', url: `${gone.url}/x` }, events('DD')[0] as AlertEvent, signal());
    await notifier.close();
    expect(delivery).toMatchObject({ ok: false, retryable: true });
  });

  it('slack: an incoming-webhook message with blocks, a text fallback, and &<> escaped', async () => {
    const notifier = new SlackNotifier(LOCAL);
    await notifier.send({ name: 'platform', type: 'slack', url: `${receiver.url}/services/T/B/X` }, events('DD')[0] as AlertEvent, signal());
    await notifier.close();
    const body = JSON.parse(receiver.received[0]?.body ?? '{}') as { text: string; blocks: Array<{ type: string; text?: { type: string; text: string }; fields?: unknown[] }> };
    expect(body.text).toContain('billing is down');
    expect(body.text).toContain('&lt;!channel&gt; &amp; DOWN');
    expect(body.text).not.toContain('<!channel>');
    expect(body.blocks.map((b) => b.type)).toEqual(['section', 'section', 'section', 'context']);
    expect(body.blocks[0]?.text).toEqual({ type: 'mrkdwn', text: ':red_circle: *billing is down*' });
    expect(body.blocks[2]?.fields?.length).toBeGreaterThanOrEqual(5);
    expect(JSON.stringify(body.blocks)).not.toContain('<!channel>');
  });

  it('teams: a Workflows message holding one Adaptive Card 1.4, red while down, green when resolved', async () => {
    const notifier = new TeamsNotifier(LOCAL);
    for (const event of events('DDU')) await notifier.send({ name: 'teams', type: 'teams', url: `${receiver.url}/workflows/x?sig=s` }, event, signal());
    await notifier.close();
    const cards = receiver.received.map((r) => JSON.parse(r.body) as { type: string; attachments: Array<{ contentType: string; content: { type: string; version: string; body: Array<{ type: string; style?: string; facts?: unknown[] }> } }> });
    expect(cards).toHaveLength(2);
    for (const card of cards) {
      expect(card.type).toBe('message');
      expect(card.attachments).toHaveLength(1);
      expect(card.attachments[0]?.contentType).toBe('application/vnd.microsoft.card.adaptive');
      expect(card.attachments[0]?.content).toMatchObject({ type: 'AdaptiveCard', version: '1.4' });
      expect(card.attachments[0]?.content.body.map((b) => b.type)).toEqual(['Container', 'TextBlock', 'FactSet']);
    }
    expect(cards.map((c) => c.attachments[0]?.content.body[0]?.style)).toEqual(['attention', 'good']);
    expect(receiver.received[0]?.path).toBe('/workflows/x?sig=s');
  });

  it('pagerduty: each trigger and its resolve share one dedup_key, and two incidents have two', async () => {
    const notifier = new PagerDutyNotifier(LOCAL, { url: `${receiver.url}/v2/enqueue` });
    receiver.answer = { status: 202, body: '{"status":"success"}' };
    const channel = { name: 'oncall', type: 'pagerduty', routingKey: 'R'.repeat(32), severity: 'critical' } as const;
    // Two incidents: down 2, up 1, then down 7 (a reminder after 5 minutes), up.
    for (const event of events('DDUDDDDDDDU')) expect((await notifier.send(channel, event, signal())).ok).toBe(true);
    await notifier.close();
    const sent = receiver.received.map((r) => JSON.parse(r.body) as { routing_key: string; event_action: string; dedup_key: string; payload?: { summary: string; severity: string; source: string } });
    expect(sent.map((e) => e.event_action)).toEqual(['trigger', 'resolve', 'trigger', 'trigger', 'resolve']);
    // The fake's rule: every resolve closes a key a trigger opened, with the same routing key.
    const open = new Set<string>();
    for (const event of sent) {
      expect(event.routing_key).toBe('R'.repeat(32));
      expect(event.dedup_key).toMatch(/^pulsecheck:billing:0-[a-z0-9]+$/);
      if (event.event_action === 'trigger') open.add(event.dedup_key);
      else expect(open.delete(event.dedup_key)).toBe(true);
    }
    expect(open.size).toBe(0);
    expect(new Set(sent.map((e) => e.dedup_key)).size).toBe(2);
    expect(sent[0]?.payload).toMatchObject({ severity: 'critical', source: 'westeurope' });
    expect(sent[0]?.payload?.summary).toContain('billing is down');
  });
});

describe("an upstream job's trigger names what it takes down, in every channel's format", () => {
  let receiver: Receiver;
  beforeAll(async () => {
    receiver = await startReceiver();
  });
  afterAll(() => receiver.close());
  const trigger = () => withDependents(events('DD', 'db')[0] as AlertEvent, ['ordersApi', 'ordersReport']);

  it('webhook: data.dependents; slack: a field; teams: a fact of the card; pagerduty: custom_details and summary', async () => {
    const key = `whsec_${randomBytes(32).toString('base64')}`;
    const notifiers = [new WebhookNotifier(LOCAL), new SlackNotifier(LOCAL), new TeamsNotifier(LOCAL), new PagerDutyNotifier(LOCAL, { url: `${receiver.url}/v2/enqueue` })];
    const channels = [
      { name: 'hooks', type: 'webhook', url: `${receiver.url}/hook`, signingKey: key },
      { name: 'platform', type: 'slack', url: `${receiver.url}/slack` },
      { name: 'teams', type: 'teams', url: `${receiver.url}/teams` },
      { name: 'oncall', type: 'pagerduty', routingKey: 'R'.repeat(32), severity: 'critical' },
    ] as const;
    for (const [i, notifier] of notifiers.entries()) expect((await notifier.send(channels[i] as never, trigger(), signal())).ok).toBe(true);
    await Promise.all(notifiers.map((n) => n.close()));
    interface Bodies {
      data: unknown;
      text: string;
      blocks: Array<{ fields?: unknown[] }>;
      attachments: Array<{ content: { body: Array<{ type: string; facts?: Array<{ title: string; value: string }> }> } }>;
      payload: { summary: string };
    }
    const [hook, slack, teams, pagerduty] = receiver.received.map((r) => JSON.parse(r.body) as Bodies);
    expect((new Webhook(key).verify(receiver.received[0]?.body ?? '', receiver.received[0]?.headers as Record<string, string>) as { data: unknown }).data).toMatchObject({ job: 'db', dependents: ['ordersApi', 'ordersReport'] });
    expect(hook).toMatchObject({ data: { dependents: ['ordersApi', 'ordersReport'] } });
    expect(JSON.stringify(slack?.blocks[2]?.fields)).toContain('*Takes down*\\nordersApi, ordersReport');
    expect(slack?.text).toContain('It takes down ordersApi, ordersReport');
    const card = teams?.attachments[0]?.content;
    expect(card?.body.find((b) => b.type === 'FactSet')?.facts).toContainEqual({ title: 'Takes down', value: 'ordersApi, ordersReport' });
    expect(pagerduty).toMatchObject({ event_action: 'trigger', payload: { custom_details: { 'Takes down': 'ordersApi, ordersReport' } } });
    expect(pagerduty?.payload.summary).toContain('It takes down ordersApi, ordersReport');
  });

  it('email: a line of the body', async () => {
    const smtp = await startSmtp();
    const notifier = new EmailNotifier({ url: smtp.url, from: 'pulsecheck@example.com' });
    try {
      expect(await notifier.send({ name: 'mail', type: 'email', to: ['oncall@example.com'] }, trigger(), signal())).toMatchObject({ ok: true });
      expect(smtp.mails[0]?.data).toContain('Takes down: ordersApi, ordersReport');
    } finally {
      await notifier.close();
      await smtp.close();
    }
  });
});

describe('email over a real SMTP server (smtp-server)', () => {
  it('sends what is down, since when, why and where, and how long on recovery', async () => {
    const smtp = await startSmtp();
    const notifier = new EmailNotifier({ url: smtp.url, from: 'pulsecheck@example.com' });
    try {
      const channel = { name: 'mail', type: 'email', to: ['oncall@example.com', 'ops@example.com'] } as const;
      for (const event of events('DDU')) expect(await notifier.send(channel, event, signal())).toMatchObject({ ok: true });
      expect(smtp.mails).toHaveLength(2);
      const [down, up] = smtp.mails;
      expect(down?.from).toBe('pulsecheck@example.com');
      expect(down?.to).toEqual(['oncall@example.com', 'ops@example.com']);
      expect(down?.data).toContain('Subject: billing is down');
      expect(down?.data).toContain('Since: 2026-01-05T10:00:00.000Z');
      expect(down?.data).toContain('Location: westeurope');
      expect(up?.data).toContain('Subject: billing is up again');
      expect(up?.data).toContain('after 2m down');
    } finally {
      await notifier.close();
      await smtp.close();
    }
  });

  it('is off, not retried, without PULSECHECK_SMTP_URL; an SMTP server that is not there is retryable', async () => {
    const off = new EmailNotifier({ url: undefined, from: 'a@example.com' });
    const channel = { name: 'mail', type: 'email', to: ['oncall@example.com'] } as const;
    expect(await off.send(channel, events('DD')[0] as AlertEvent, signal())).toMatchObject({ ok: false, retryable: false, message: 'e-mail is off: set PULSECHECK_SMTP_URL' });
    const smtp = await startSmtp();
    await smtp.close();
    const gone = new EmailNotifier({ url: smtp.url, from: 'a@example.com' });
    expect(await gone.send(channel, events('DD')[0] as AlertEvent, signal())).toMatchObject({ ok: false, retryable: true });
    await gone.close();
  });
});
