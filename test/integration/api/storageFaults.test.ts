import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAzurite, type RunningAzurite } from '../../../src/hosts/local/azurite.js';
import { startApi, type ApiHost } from '../../support/api.js';
import { uniquePrefix } from '../../support/azurite.js';
import { ALLOW_LOOPBACK } from '../../support/network.js';
import { startServer, type TestServer } from '../../support/servers.js';
import { tableConnectionAt, tableStoreAt } from '../../support/tableStores.js';

const job = (name: string) => ({ name, url: 'http://127.0.0.1:9/health', every: '1h' });

/** The answer to a storage fault: 503 problem+json naming Table Storage, with Retry-After, no internals. */
async function expectUnavailable(response: Response): Promise<void> {
  const text = await response.text();
  expect(response.status, text).toBe(503);
  expect(response.headers.get('content-type')).toMatch(/^application\/problem\+json/);
  expect(Number(response.headers.get('retry-after'))).toBeGreaterThan(0);
  expect(JSON.parse(text)).toMatchObject({ status: 503, code: 'unavailable', dependency: 'Table Storage', detail: expect.stringContaining('Table Storage') });
  expect(text).not.toMatch(/\bat \S+:\d+|AbortError|RestError|127\.0\.0\.1/);
}

/**
 * Issue 12 follow-up: a storage fault on an API request answers 503 (never 500 with a stack), and
 * what was stored before is still there once storage answers again.
 */
describe('the management API when Table Storage does not answer', () => {
  let azurite: RunningAzurite;
  let api: ApiHost | undefined;
  beforeAll(async () => {
    azurite = await startAzurite(); // its own: this test pauses it
  });
  afterAll(async () => {
    process.kill(azurite.pid, 'SIGCONT');
    await api?.host.stop();
    await azurite.stop();
  });

  it('answers 503 to writes and reads while Azurite is paused, and loses nothing', async () => {
    // No retries by the SDK: each request gives up after the SDK's request timeout (10 s) once.
    const store = tableStoreAt(azurite.connectionString, uniquePrefix('apifault'), { maxRetries: 0 });
    api = await startApi({ jobs: [] }, { ...ALLOW_LOOPBACK }, store);
    const created = await api.call('POST', '/jobs', { body: job('kept') });
    expect(created.status, await created.text()).toBe(201);

    process.kill(azurite.pid, 'SIGSTOP'); // accepts connections, answers nothing: Table Storage timing out
    try {
      await expectUnavailable(await api.call('POST', '/jobs', { body: job('later') }));
      await expectUnavailable(await api.call('GET', '/jobs/kept/runs'));
    } finally {
      process.kill(azurite.pid, 'SIGCONT');
    }

    const kept = await api.call('GET', '/jobs/kept');
    expect(kept.status).toBe(200);
    // The refused create may or may not have reached storage before its request was given up; it is
    // there once, whichever the case, after the client's retry.
    const retried = await api.call('POST', '/jobs', { body: job('later') });
    expect([201, 409]).toContain(retried.status);
    const list = (await (await api.call('GET', '/jobs')).json()) as { jobs: Array<{ name: string }> };
    expect(list.jobs.map((j) => j.name).sort()).toEqual(['kept', 'later']);
  }, 60_000);
});

describe('the management API when Table Storage never answered', () => {
  let silent: TestServer;
  let api: ApiHost | undefined;
  beforeAll(async () => {
    silent = await startServer(() => undefined); // takes each request and never answers
  });
  afterAll(async () => {
    await api?.host.stop();
    await silent.close();
  });

  it('answers 503, not an empty list or a 404, while no API job could ever be read', async () => {
    const store = tableStoreAt(tableConnectionAt(silent.url), 'never', { maxRetries: 0 });
    // A jobs-file job is still known and shown: only what storage holds is unknown.
    api = await startApi({ jobs: [job('filed')] }, { ...ALLOW_LOOPBACK }, store);
    await expectUnavailable(await api.call('POST', '/jobs', { body: job('new') }));
    await expectUnavailable(await api.call('GET', '/jobs'));
    await expectUnavailable(await api.call('GET', '/jobs/unknown'));
    expect((await api.call('GET', '/jobs/filed')).status).toBe(200);
    const health = await api.call('GET', '/health');
    expect(health.status).not.toBe(500);
  }, 60_000);
});
