import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { QueueClient } from '@azure/storage-queue';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { StorageCheckQueue } from '../../../src/adapters/storage-queue/checkQueue.js';
import type { QueuedOccurrence } from '../../../src/app/ports/index.js';
import { CHECKS_POISON_QUEUE, CHECKS_QUEUE, type OccurrenceMessage } from '../../../src/domain/occurrence.js';
import { runIdFor, type Run } from '../../../src/domain/run.js';
import type { RunningAzurite } from '../../../src/hosts/local/azurite.js';
import { startLocalHost } from '../../../src/hosts/local/localHost.js';
import { NO_TICK, type ApiHost } from '../../support/api.js';
import { acquireAzurite, releaseAzurite, uniquePrefix } from '../../support/azurite.js';
import { eventually } from '../../support/eventually.js';
import { MemoryLogger } from '../../support/fakes.js';
import { ALLOW_LOOPBACK } from '../../support/network.js';
import { startServer, type TestServer } from '../../support/servers.js';

/**
 * Queue mode on Azurite (issue 13): messages put on `pulsecheck-checks` as the dispatcher puts them,
 * run by `runCheck` in local hosts that poll the queue with host.json's options. The queue name is
 * fixed, so the suites here run one after the other and empty the queues between them.
 */
let azurite: RunningAzurite;
let target: TestServer;
let queue: StorageCheckQueue;
const hosts: ApiHost[] = [];
const JOBS = Array.from({ length: 20 }, (_, i) => `job${i}`);

const message = (job: string, scheduledAt: number): OccurrenceMessage => ({
  v: 1,
  job,
  scheduledAt: new Date(scheduledAt).toISOString(),
  runId: runIdFor(job, scheduledAt),
  revision: 'test',
});
const due = (m: OccurrenceMessage): QueuedOccurrence => ({ message: m, delaySeconds: 0 });

/** A local host in queue mode sharing the Azurite and the tables (`prefix`); its timer never ticks. */
async function host(prefix: string, location: string, hostJson?: unknown, tick = NO_TICK, jobs: unknown[] = JOBS.map((name) => ({ name, url: `${target.url}/${name}`, every: '1h' }))): Promise<ApiHost> {
  const dir = mkdtempSync(join(tmpdir(), 'pulsecheck-queue-'));
  writeFileSync(join(dir, 'jobs.config.json'), JSON.stringify({ jobs }));
  if (hostJson) writeFileSync(join(dir, 'host.json'), JSON.stringify(hostJson));
  const logger = new MemoryLogger();
  const env = {
    ...ALLOW_LOOPBACK,
    PULSECHECK_PORT: '0',
    PULSECHECK_TICK_SCHEDULE: tick,
    PULSECHECK_SHUTDOWN_GRACE_SECONDS: '1',
    AzureWebJobsStorage: azurite.connectionString,
    PULSECHECK_DISPATCH: 'queue',
    PULSECHECK_TABLE_PREFIX: prefix,
    PULSECHECK_RUN_LOCATION: location,
  };
  const started = await startLocalHost({ dir, env, logger });
  const api: ApiHost = { host: started, dir, logger, call: (method, path) => fetch(`${started.url}${path}`, { method }) };
  hosts.push(api);
  return api;
}

/** Every run of the jobs, as the first host's API lists them. */
async function runs(api: ApiHost): Promise<Run[]> {
  const all: Run[] = [];
  for (const job of JOBS) {
    const response = await api.call('GET', `/jobs/${job}/runs?limit=100`);
    expect(response.status).toBe(200);
    all.push(...((await response.json()) as { runs: Run[] }).runs);
  }
  return all;
}

beforeAll(async () => {
  azurite = await acquireAzurite();
  target = await startServer((_req, res) => res.writeHead(200).end('ok'));
  queue = new StorageCheckQueue({ connectionString: azurite.connectionString }, CHECKS_QUEUE);
});
afterAll(async () => {
  await target?.close();
  await releaseAzurite();
});
beforeEach(async () => {
  for (const name of [CHECKS_QUEUE, CHECKS_POISON_QUEUE]) {
    const client = new QueueClient(azurite.connectionString, name);
    await client.createIfNotExists();
    await client.clearMessages();
  }
  target.requests.length = 0;
});
afterEach(async () => {
  await Promise.all(hosts.splice(0).map((api) => api.host.stop()));
});

describe('runCheck', () => {
  it('runs a queued occurrence at its instant and records it once', async () => {
    const api = await host(uniquePrefix('q'), 'a');
    // Past the first claim, which creates the store's tables.
    const at = Date.now() + 4_000;
    const m = message('job0', at);
    expect(await queue.enqueue([due(m)])).toEqual({ sent: 1 });
    // Polled at the pace of a person, not every 25 ms: the API's read limit per caller answers 429 past it.
    const recorded = await eventually(async () => (await runs(api)).find((r) => r.runId === m.runId), { timeoutMs: 10_000, intervalMs: 250, what: 'the run' });
    expect(recorded).toMatchObject({ job: 'job0', trigger: 'schedule', status: 'up', scheduledAt: m.scheduledAt });
    expect(target.requests).toHaveLength(1);
    // At its instant, not when the message was taken (it was visible at once).
    expect(target.requests[0]?.at).toBeGreaterThanOrEqual(at);
    expect(target.requests[0]?.at).toBeLessThan(at + 1_000);
    // Deleted once its run was stored.
    await eventually(async () => (await new QueueClient(azurite.connectionString, CHECKS_QUEUE).getProperties()).approximateMessagesCount === 0);
  }, 20_000);

  it('runs an occurrence queued twice once', async () => {
    const api = await host(uniquePrefix('q'), 'a');
    const m = message('job1', Date.now() + 500);
    expect(await queue.enqueue([due(m), due(m), due(m)])).toEqual({ sent: 3 });
    await eventually(async () => (await new QueueClient(azurite.connectionString, CHECKS_QUEUE).getProperties()).approximateMessagesCount === 0, { timeoutMs: 10_000 });
    expect((await runs(api)).filter((r) => r.runId === m.runId)).toHaveLength(1);
    expect(target.requests).toHaveLength(1);
  }, 20_000);
});

describe('the dispatcher timer in queue mode', () => {
  it('queues each occurrence, and runCheck runs it at its instant, once', async () => {
    const api = await host(uniquePrefix('q'), 'a', undefined, '*/2 * * * * *', [{ name: 'job0', url: `${target.url}/ticked`, every: '2s' }]);
    const recorded = await eventually(
      async () => {
        const response = await api.call('GET', '/jobs/job0/runs?limit=100');
        const { runs: all } = (await response.json()) as { runs: Run[] };
        return all.length >= 5 && all;
      },
      { timeoutMs: 30_000, intervalMs: 500, what: 'five runs' },
    );
    const ids = recorded.map((r) => r.runId);
    expect(new Set(ids).size).toBe(ids.length);
    expect(recorded.every((r) => r.trigger === 'schedule')).toBe(true);
    // One request per run that made one (a run may be skipped as an overlap when the first claim,
    // which creates the store's tables, makes it late on a busy machine).
    const up = recorded.filter((r) => r.status === 'up');
    expect(up.length).toBeGreaterThanOrEqual(3);
    expect(target.requests.filter((r) => r.path === '/ticked').length).toBeGreaterThanOrEqual(up.length);
    // Never before its instant (the message was visible up to 2 s earlier): after a whole even second.
    for (const request of target.requests.filter((r) => r.path === '/ticked').slice(-3)) expect(request.at % 2_000).toBeLessThan(1_500);
    // The ticks queued the occurrences instead of starting them.
    const ticks = api.logger.records.filter((r) => r.message === 'tick done').map((r) => r.fields as { queued?: number });
    expect(ticks.some((t) => (t.queued ?? 0) > 0)).toBe(true);
  }, 45_000);
});

describe('two hosts on one queue', () => {
  it('share the occurrences and never run or record one twice, though each was queued twice', async () => {
    const prefix = uniquePrefix('q');
    // Each host holds at most 8 messages at once: the other takes the rest (otherwise the first to
    // poll could take all 60 at once).
    const hostJson = { version: '2.0', extensions: { queues: { batchSize: 8, newBatchThreshold: 0, maxPollingInterval: '00:00:00.500' } } };
    // One location: hosts of one app (another location would be another region, with its own claims).
    const [a, b] = [await host(prefix, 'a', hostJson), await host(prefix, 'a', hostJson)];
    // Instants far enough ahead for the messages to be put first (Azurite on a busy machine is slow).
    const start = Math.ceil((Date.now() + 6_000) / 1_000) * 1_000;
    const messages = JOBS.slice(0, 10).flatMap((job) => [0, 1, 2].map((i) => message(job, start + i * 1_000)));
    expect((await queue.enqueue([...messages, ...messages].map(due))).sent).toBe(messages.length * 2);
    const recorded = await eventually(
      async () => {
        const all = await runs(a as ApiHost);
        return all.length >= messages.length && all;
      },
      { timeoutMs: 30_000, intervalMs: 500, what: () => `every run; the target saw ${target.requests.length}` },
    );
    const ids = recorded.map((r) => r.runId);
    expect(new Set(ids).size).toBe(ids.length);
    expect(new Set(ids)).toEqual(new Set(messages.map((m) => m.runId)));
    // One request per run that made one: no occurrence ran twice.
    expect(target.requests).toHaveLength(recorded.filter((r) => r.status === 'up').length);
    // Each host ran a share (each logs the runs it ran).
    for (const api of [a, b]) expect(api?.logger.records.some((r) => (r.fields as { event?: string }).event === 'run')).toBe(true);
  }, 60_000);
});

interface DeadLetterList {
  count: number;
  deadLetters: Array<{ id: string; job: string | null; runId: string | null; lastError: { message: string } | null }>;
}

describe('a message whose processing fails', () => {
  it('comes back after visibilityTimeout and moves to pulsecheck-checks-poison after maxDequeueCount deliveries, with its last error', async () => {
    await host(uniquePrefix('q'), 'a', { version: '2.0', extensions: { queues: { maxDequeueCount: 2, visibilityTimeout: '00:00:00', maxPollingInterval: '00:00:00.200' } } });
    // Not an occurrence (runCheck throws a validation error), as a broken or foreign message would be.
    const body = { v: 9, job: 'job0' };
    await new QueueClient(azurite.connectionString, CHECKS_QUEUE).sendMessage(Buffer.from(JSON.stringify(body)).toString('base64'));
    const poison = new QueueClient(azurite.connectionString, CHECKS_POISON_QUEUE);
    const moved = await eventually(async () => (await poison.peekMessages()).peekedMessageItems[0], { timeoutMs: 10_000, what: 'the poison message' });
    // The message as it was, encoded as it was, plus why it could not be processed.
    const poisoned = JSON.parse(Buffer.from(moved.messageText, 'base64').toString('utf8')) as Record<string, unknown>;
    expect(poisoned).toEqual({ ...body, lastError: { message: expect.stringContaining('the queue message is not an occurrence') as unknown } });
    // Deleted from the queue just after it was copied to the poison queue.
    await eventually(async () => (await new QueueClient(azurite.connectionString, CHECKS_QUEUE).getProperties()).approximateMessagesCount === 0, { what: 'the message gone from the queue' });
    const failures = hosts[0]?.logger.records.filter((r) => /^runCheck failed/.test(r.message ?? ''));
    expect(failures?.length).toBeGreaterThanOrEqual(2);
  }, 20_000);

  it('moves a message that would not fit a queue message with its last error as it was', async () => {
    await host(uniquePrefix('q'), 'a', { version: '2.0', extensions: { queues: { maxDequeueCount: 1, maxPollingInterval: '00:00:00.200' } } });
    // 65,400 characters encoded: under the 64 KiB a message holds, over it with the error added.
    const text = Buffer.from(JSON.stringify({ v: 9, job: 'job0', pad: 'x'.repeat(49_050 - JSON.stringify({ v: 9, job: 'job0', pad: '' }).length) })).toString('base64');
    expect(text.length).toBe(65_400);
    await new QueueClient(azurite.connectionString, CHECKS_QUEUE).sendMessage(text);
    const poison = new QueueClient(azurite.connectionString, CHECKS_POISON_QUEUE);
    const moved = await eventually(async () => (await poison.peekMessages()).peekedMessageItems[0], { timeoutMs: 10_000, what: 'the poison message' });
    expect(moved.messageText).toBe(text);
  }, 20_000);

  it('is listed by /api/deadletters with its last error; a retry puts it back on the queue, where runCheck takes it again', async () => {
    const api = await host(uniquePrefix('q'), 'a', { version: '2.0', extensions: { queues: { maxDequeueCount: 2, visibilityTimeout: '00:00:00', maxPollingInterval: '00:00:00.200' } } });
    // An occurrence of a job that exists, but a message version this host cannot run: poisoned after 2 deliveries.
    const broken = { ...message('job3', Date.now()), v: 2 };
    await new QueueClient(azurite.connectionString, CHECKS_QUEUE).sendMessage(Buffer.from(JSON.stringify(broken)).toString('base64'));
    const listed = await eventually(
      async () => {
        const list = (await (await api.call('GET', '/deadletters')).json()) as DeadLetterList;
        return list.deadLetters.length > 0 && list;
      },
      { timeoutMs: 10_000, what: 'the dead letter in /api/deadletters' },
    );
    expect(listed.count).toBe(1);
    const [dead] = listed.deadLetters;
    expect(dead).toMatchObject({ job: 'job3', runId: broken.runId, lastError: { message: expect.stringMatching(/not an occurrence.*v/s) as unknown } });
    const failuresBefore = api.logger.records.filter((r) => /^runCheck failed/.test(r.message ?? '')).length;
    expect(failuresBefore).toBeGreaterThanOrEqual(2);

    const retried = await api.call('POST', `/deadletters/${dead?.id}/retry`);
    expect(retried.status).toBe(200);
    expect(await retried.json()).toMatchObject({ retried: { id: dead?.id, job: 'job3', queue: CHECKS_QUEUE } });
    // Back on pulsecheck-checks: runCheck takes it again (it fails again, the cause is not fixed) and
    // it lands in the poison queue a second time, as a new message, still saying why.
    const again = await eventually(
      async () => {
        const list = (await (await api.call('GET', '/deadletters')).json()) as DeadLetterList;
        return list.deadLetters.find((d) => d.id !== dead?.id);
      },
      { timeoutMs: 10_000, what: 'the retried message in the poison queue again' },
    );
    expect(again).toMatchObject({ job: 'job3', runId: broken.runId, lastError: { message: expect.stringContaining('not an occurrence') as unknown } });
    expect(api.logger.records.filter((r) => /^runCheck failed/.test(r.message ?? '')).length).toBeGreaterThanOrEqual(failuresBefore + 2);
    expect(target.requests).toHaveLength(0);
  }, 30_000);

  it('runs once retried when it can run: the last error it carries is ignored', async () => {
    const api = await host(uniquePrefix('q'), 'a');
    // As the poller leaves an occurrence whose runCheck failed on a fault since fixed (storage down).
    const m = message('job4', Date.now());
    const poison = new QueueClient(azurite.connectionString, CHECKS_POISON_QUEUE);
    await poison.sendMessage(Buffer.from(JSON.stringify({ ...m, lastError: { message: 'connect ECONNREFUSED 127.0.0.1:10002' } })).toString('base64'));
    const [dead] = ((await (await api.call('GET', '/deadletters')).json()) as DeadLetterList).deadLetters;
    expect(dead).toMatchObject({ runId: m.runId, lastError: { message: 'connect ECONNREFUSED 127.0.0.1:10002' } });
    expect((await api.call('POST', `/deadletters/${dead?.id}/retry`)).status).toBe(200);
    const recorded = await eventually(async () => (await runs(api)).find((r) => r.runId === m.runId), { timeoutMs: 10_000, what: 'the run of the retried occurrence' });
    expect(recorded).toMatchObject({ job: 'job4', status: 'up' });
    expect(target.requests.map((r) => r.path)).toEqual(['/job4']);
    expect(((await (await api.call('GET', '/deadletters')).json()) as DeadLetterList).count).toBe(0);
  }, 20_000);
});
