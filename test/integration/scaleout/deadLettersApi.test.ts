import { QueueServiceClient, type QueueClient } from '@azure/storage-queue';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningAzurite } from '../../../src/hosts/local/azurite.js';
import { startApi, type ApiHost } from '../../support/api.js';
import { acquireAzurite, releaseAzurite, uniquePrefix } from '../../support/azurite.js';
import { principalHeaders } from '../../support/principal.js';

const reader = principalHeaders('rita', ['Pulsecheck.Reader']);
const operator = principalHeaders('otto', ['Pulsecheck.Operator']);
const admin = principalHeaders('ada', ['Pulsecheck.Admin']);

/** A check message as queue dispatch writes it: JSON, base64 encoded (the Functions host's default). */
const checkMessage = (body: Record<string, unknown>): string => Buffer.from(JSON.stringify(body)).toString('base64');

interface DeadLetterList {
  dispatch: string;
  queue: string;
  count: number;
  truncated: boolean;
  deadLetters: Array<Record<string, unknown> & { id: string }>;
}

/**
 * Issue 13, dead letters, over real HTTP on Azurite in queue mode: a message put on
 * `pulsecheck-checks-poison` (as the queue poller does after the last failed delivery) is listed,
 * counted by health, and put back on `pulsecheck-checks` by an admin (audited).
 */
describe('dead letters (queue mode, Azurite)', () => {
  let azurite: RunningAzurite;
  let api: ApiHost;
  let poison: QueueClient;
  let checks: QueueClient;

  beforeAll(async () => {
    azurite = await acquireAzurite();
    const service = QueueServiceClient.fromConnectionString(azurite.connectionString);
    poison = service.getQueueClient('pulsecheck-checks-poison');
    checks = service.getQueueClient('pulsecheck-checks');
    await poison.createIfNotExists();
    // runCheck is off: this host only serves the API, so a retried message stays on the queue to be seen.
    api = await startApi(
      { jobs: [] },
      {
        AzureWebJobsStorage: azurite.connectionString,
        PULSECHECK_TABLE_PREFIX: uniquePrefix('dlq'),
        PULSECHECK_DISPATCH: 'queue',
        WEBSITE_AUTH_ENABLED: 'True',
        'AzureWebJobs.runCheck.Disabled': 'true',
      },
    );
  });
  afterAll(async () => {
    await api?.host.stop();
    await releaseAzurite();
  });

  const list = async (): Promise<DeadLetterList> => {
    const response = await api.call('GET', '/deadletters', { headers: reader });
    expect(response.status).toBe(200);
    return (await response.json()) as DeadLetterList;
  };

  it('lists a poisoned message with its job, instant, run id, last error and dequeue facts, and health counts it', async () => {
    const text = checkMessage({ job: 'checkout', scheduledAt: '2026-12-02T12:00:10.000Z', runId: 'checkout@2026-12-02T12:00:10.000Z', revision: 'r1', lastError: { message: 'connect ECONNREFUSED' } });
    await poison.sendMessage(text);
    await poison.sendMessage('not a check message');

    const listed = await list();
    expect(listed).toMatchObject({ dispatch: 'queue', queue: 'pulsecheck-checks-poison', count: 2, truncated: false });
    expect(listed.deadLetters[0]).toMatchObject({
      job: 'checkout',
      scheduledAt: '2026-12-02T12:00:10.000Z',
      runId: 'checkout@2026-12-02T12:00:10.000Z',
      lastError: { message: 'connect ECONNREFUSED' },
      dequeueCount: 0,
      expiresAt: expect.any(String) as unknown,
    });
    expect(Date.parse(listed.deadLetters[0]?.deadLetteredAt as string)).toBeGreaterThan(Date.now() - 60_000);
    expect(listed.deadLetters[1]).toMatchObject({ job: null, scheduledAt: null, lastError: null, unreadable: 'not a check message' });

    const health = (await (await api.call('GET', '/health', { headers: reader })).json()) as { status: string; checks: Record<string, { status: string; count?: number; detail: string }> };
    expect(health.checks.deadLetters).toMatchObject({ status: 'degraded', count: 2 });
    expect(health.checks.deadLetters?.detail).toContain('GET /api/deadletters');
    expect(health.status).toBe('degraded');
  });

  it('lets only an admin retry: the message goes back on pulsecheck-checks as it was, leaves the poison queue, and is audited', async () => {
    const [checkout, unreadable] = (await list()).deadLetters;
    const path = `/deadletters/${checkout?.id}/retry`;
    expect((await api.call('POST', path, { headers: reader })).status).toBe(403);
    expect((await api.call('POST', path, { headers: operator })).status).toBe(403);
    expect((await api.call('POST', path)).status).toBe(401);

    const response = await api.call('POST', path, { headers: admin });
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ retried: { id: checkout?.id, job: 'checkout', queue: 'pulsecheck-checks' } });
    const back = (await checks.peekMessages({ numberOfMessages: 32 })).peekedMessageItems.map((m) => m.messageText);
    expect(back).toEqual([checkMessage({ job: 'checkout', scheduledAt: '2026-12-02T12:00:10.000Z', runId: 'checkout@2026-12-02T12:00:10.000Z', revision: 'r1', lastError: { message: 'connect ECONNREFUSED' } })]);
    const left = await list();
    expect(left.deadLetters.map((d) => d.id)).toEqual([unreadable?.id]);
    expect(left.count).toBe(1);

    const audit = (await (await api.call('GET', '/audit', { headers: admin })).json()) as { entries: Array<Record<string, unknown>> };
    expect(audit.entries[0]).toMatchObject({
      action: 'deadletter.retry',
      job: 'checkout',
      actor: { name: 'ada@example.test', via: 'app-service-auth' },
      before: { queue: 'pulsecheck-checks-poison', id: checkout?.id, runId: 'checkout@2026-12-02T12:00:10.000Z' },
      after: { queue: 'pulsecheck-checks' },
    });

    const health = (await (await api.call('GET', '/health', { headers: reader })).json()) as { checks: Record<string, { status: string; count?: number }> };
    expect(health.checks.deadLetters).toMatchObject({ status: 'degraded', count: 1 });
  });

  it('answers 404 for a dead letter that is gone and 400 naming `id` for an id no message has', async () => {
    const gone = await api.call('POST', '/deadletters/00000000-0000-0000-0000-000000000000/retry', { headers: admin });
    expect(gone.status).toBe(404);
    expect(gone.headers.get('content-type')).toContain('application/problem+json');
    const bad = await api.call('POST', '/deadletters/a%20b/retry', { headers: admin });
    expect(bad.status).toBe(400);
    expect(await bad.json()).toMatchObject({ issues: [{ path: 'id' }] });
  });
});

describe('dead letters in inline mode', () => {
  let api: ApiHost;
  beforeAll(async () => {
    api = await startApi({ jobs: [] });
  });
  afterAll(async () => {
    await api?.host.stop();
  });

  it('lists none, says why on retry (409), and health shows the count off', async () => {
    const listed = await api.call('GET', '/deadletters');
    expect(listed.status).toBe(200);
    expect(await listed.json()).toEqual({ dispatch: 'inline', queue: null, count: 0, deadLetters: [], truncated: false });
    const retried = await api.call('POST', '/deadletters/00000000-0000-0000-0000-000000000000/retry');
    expect(retried.status).toBe(409);
    expect(((await retried.json()) as { detail: string }).detail).toContain('queue mode is off');
    const health = (await (await api.call('GET', '/health')).json()) as { checks: Record<string, { status: string; detail: string }> };
    expect(health.checks.deadLetters).toMatchObject({ status: 'ok', detail: 'off: PULSECHECK_DISPATCH is inline' });
  });
});
