import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApi, type ApiHost } from '../../support/api.js';
import { HOOK_KEY, startFlappingTarget, verifiedEvents } from '../../support/alertingWorld.js';
import { eventually } from '../../support/eventually.js';
import { ALLOW_LOOPBACK } from '../../support/network.js';
import { startReceiver, type Receiver } from '../../support/receivers.js';
import type { TestServer } from '../../support/servers.js';

/** GET /api/alerts on the local host, after a manual run over HTTP triggered a rule. */
describe('GET /api/alerts', () => {
  let receiver: Receiver;
  let target: TestServer & { status: number };
  let api: ApiHost;

  beforeAll(async () => {
    receiver = await startReceiver();
    target = await startFlappingTarget();
    api = await startApi(
      {
        channels: { hooks: { type: 'webhook', url: `${receiver.url}/hook`, secret: 'hook-key' } },
        jobs: [{ name: 'billing', url: `${target.url}/health`, every: '1h', retry: { maxAttempts: 1 }, alerts: [{ channels: ['hooks'], failureThreshold: 1, successThreshold: 1 }] }],
      },
      { PULSECHECK_SECRET_HOOK_KEY: HOOK_KEY, ...ALLOW_LOOPBACK },
    );
  });
  afterAll(async () => {
    await api?.host.stop();
    await receiver?.close();
    await target?.close();
  });

  it('lists an alert a run triggered, with its channels, until a good run resolves it', async () => {
    expect(await (await api.call('GET', '/alerts')).json()).toEqual({ alerts: [] });
    target.status = 503;
    expect((await api.call('POST', '/jobs/billing/run')).status).toBe(200);
    const listed = await eventually(async () => {
      const { alerts } = (await (await api.call('GET', '/alerts')).json()) as { alerts: unknown[] };
      return alerts.length > 0 && alerts;
    });
    expect(listed).toEqual([{ job: 'billing', rule: 0, alertId: expect.any(String), since: expect.any(String), failures: 1, location: expect.any(String), channels: ['hooks'], notifiedAt: expect.any(String) }]);
    await eventually(() => receiver.received.length === 1);
    target.status = 200;
    await api.call('POST', '/jobs/billing/run');
    await eventually(async () => ((await (await api.call('GET', '/alerts')).json()) as { alerts: unknown[] }).alerts.length === 0);
    await eventually(() => receiver.received.length === 2);
    expect(verifiedEvents(receiver).map((e) => e.type)).toEqual(['alert.triggered', 'alert.resolved']);
  });
});
