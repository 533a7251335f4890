import { bulkhead } from 'cockatiel';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { MemoryStore } from '../../../src/adapters/memory-store/memoryStore.js';
import { SystemClock } from '../../../src/adapters/system-clock/systemClock.js';
import { UndiciProber } from '../../../src/adapters/undici-prober/prober.js';
import { CheckRunner, type RunRequest } from '../../../src/app/checkRunner.js';
import type { Job } from '../../../src/domain/job.js';
import { job } from '../../support/jobs.js';
import { MemoryLogger, RecordingTelemetry } from '../../support/fakes.js';
import { LOOPBACK_ALLOWED } from '../../support/network.js';
import { sleep, startServer, type Handler, type TestServer } from '../../support/servers.js';

let sequence = 0;
const scheduled = (): RunRequest => {
  const at = Date.now() + sequence++;
  return { runId: `target@${new Date(at).toISOString()}`, trigger: 'schedule', scheduledAt: at };
};

describe('CheckRunner: the whole policy against a real target', () => {
  let prober: UndiciProber;
  const servers: TestServer[] = [];
  const serve = async (handler: Handler) => {
    const server = await startServer(handler);
    servers.push(server);
    return server;
  };
  const fastRetry = { maxAttempts: 3, initialDelayMs: 10, maxDelayMs: 20 };

  const runner = (store = new MemoryStore(), limit = 16, queue = 64) => {
    const telemetry = new RecordingTelemetry();
    const instance = new CheckRunner({
      prober,
      clock: new SystemClock(),
      store,
      telemetry,
      logger: new MemoryLogger(),
      bulkhead: bulkhead(limit, queue),
      location: 'test',
    });
    return { instance, store, telemetry };
  };

  beforeAll(() => {
    prober = new UndiciProber({ networkPolicy: LOOPBACK_ALLOWED });
  });
  afterEach(async () => {
    await Promise.all(servers.splice(0).map((s) => s.close()));
  });
  afterAll(async () => {
    await prober.close();
  });

  it('records a healthy run as up, in the store and the job state', async () => {
    const server = await serve((_req, res) => res.end('ok'));
    const { instance, store, telemetry } = runner();
    const target = job({ url: `${server.url}/health` });
    const request = scheduled();
    const run = await instance.run(target, request);
    expect(run).toMatchObject({
      runId: request.runId,
      job: 'target',
      trigger: 'schedule',
      status: 'up',
      success: true,
      attempts: 1,
      httpStatus: 200,
      location: 'test',
      conditions: [
        { condition: '[STATUS] >= 200', success: true, actual: '200' },
        { condition: '[STATUS] < 300', success: true, actual: '200' },
      ],
    });
    expect(run.error).toBeUndefined();
    expect(await store.listRuns('target', { limit: 10 })).toEqual([run]);
    expect((await store.loadState('target'))?.health).toBe('UP');
    expect(telemetry.runs).toEqual([run]);
    expect(telemetry.health.map((e) => `${e.from}->${e.to}`)).toEqual(['UNKNOWN->UP']);
  });

  it('retries a flaky target until it answers (attempts counted at the server)', async () => {
    let calls = 0;
    const server = await serve((_req, res) => {
      calls += 1;
      res.writeHead(calls < 3 ? 503 : 200).end();
    });
    const { instance } = runner();
    const run = await instance.run(job({ url: server.url, retry: fastRetry }), scheduled());
    expect(run.status).toBe('up');
    expect(run.attempts).toBe(3);
    expect(server.requests).toHaveLength(3);
  });

  it('gives up on a 500 after maxAttempts and reports the failed condition', async () => {
    const server = await serve((_req, res) => res.writeHead(500).end());
    const { instance } = runner();
    const run = await instance.run(job({ url: server.url, retry: fastRetry, conditions: ['[STATUS] == 200'] }), scheduled());
    expect(run).toMatchObject({ status: 'down', success: false, attempts: 3, httpStatus: 500 });
    expect(run.error).toEqual({ kind: 'conditions', message: '[STATUS] (500) == 200' });
    expect(server.requests).toHaveLength(3);
  });

  it('does not retry a failure that is not transient (404)', async () => {
    const server = await serve((_req, res) => res.writeHead(404).end());
    const { instance } = runner();
    const run = await instance.run(job({ url: server.url, retry: fastRetry }), scheduled());
    expect(run).toMatchObject({ status: 'down', attempts: 1, httpStatus: 404 });
    expect(server.requests).toHaveLength(1);
  });

  it('honours Retry-After on a 429', async () => {
    let calls = 0;
    const server = await serve((_req, res) => {
      calls += 1;
      if (calls === 1) res.writeHead(429, { 'retry-after': '1' }).end();
      else res.end('ok');
    });
    const { instance } = runner();
    const run = await instance.run(job({ url: server.url, retry: fastRetry }), scheduled());
    expect(run).toMatchObject({ status: 'up', attempts: 2 });
    const gap = (server.requests[1]?.at ?? 0) - (server.requests[0]?.at ?? 0);
    expect(gap).toBeGreaterThanOrEqual(950);
  });

  it('does not wait for a Retry-After beyond the deadline', async () => {
    const server = await serve((_req, res) => res.writeHead(429, { 'retry-after': '120' }).end());
    const { instance } = runner();
    const started = Date.now();
    const run = await instance.run(job({ url: server.url, timeoutSeconds: 2, retry: { ...fastRetry, deadlineSeconds: 5 } }), scheduled());
    expect(run).toMatchObject({ status: 'down', attempts: 1, httpStatus: 429 });
    expect(Date.now() - started).toBeLessThan(1_000);
  });

  it('times out each attempt, retries, and reports a timeout', async () => {
    const server = await serve((_req, res) => {
      setTimeout(() => res.end('late'), 3_000).unref();
    });
    const { instance } = runner();
    const started = Date.now();
    const run = await instance.run(job({ url: server.url, timeoutSeconds: 0.2, retry: { ...fastRetry, maxAttempts: 2 } }), scheduled());
    expect(run).toMatchObject({ status: 'down', attempts: 2, httpStatus: null });
    expect(run.error?.kind).toBe('timeout');
    const elapsed = Date.now() - started;
    expect(elapsed).toBeGreaterThanOrEqual(400);
    expect(elapsed).toBeLessThan(2_000);
  });

  it('stops retrying at the overall deadline', async () => {
    const server = await serve((_req, res) => {
      setTimeout(() => res.end('late'), 3_000).unref();
    });
    const { instance } = runner();
    const started = Date.now();
    const run = await instance.run(
      job({ url: server.url, timeoutSeconds: 0.3, retry: { maxAttempts: 10, initialDelayMs: 10, maxDelayMs: 10, deadlineSeconds: 0.5 } }),
      scheduled(),
    );
    expect(run.status).toBe('down');
    expect(run.attempts).toBe(2);
    expect(Date.now() - started).toBeLessThan(1_500);
  });

  it('records a run cut short by shutdown as skipped (aborted): the job keeps its health and its breaker count', async () => {
    let hang = false;
    const server = await serve((_req, res) => {
      if (hang) setTimeout(() => res.end('late'), 3_000).unref();
      else res.end('ok');
    });
    const { instance, store, telemetry } = runner();
    const target = job({ url: server.url, timeoutSeconds: 5, retry: fastRetry, circuitBreaker: { failureThreshold: 1, halfOpenAfterSeconds: 60 } });
    expect((await instance.run(target, scheduled())).status).toBe('up');
    hang = true;
    const shutdown = new AbortController();
    setTimeout(() => shutdown.abort(), 200);
    const started = Date.now();
    const run = await instance.run(target, scheduled(), shutdown.signal);
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(run).toMatchObject({ status: 'skipped', success: false, attempts: 1, httpStatus: null, error: { kind: 'aborted' } });
    expect((await store.loadState('target'))?.health).toBe('UP');
    expect(telemetry.circuits).toEqual([]);
    // Had the abort counted as a failure, this threshold-1 breaker would be open and skip the run.
    hang = false;
    expect((await instance.run(target, scheduled())).status).toBe('up');
  });

  it('opens the circuit after consecutive failed runs, skips while open, probes after halfOpenAfter', async () => {
    let healthy = false;
    const server = await serve((_req, res) => res.writeHead(healthy ? 200 : 404).end());
    const store = new MemoryStore();
    const target: Job = job({ url: server.url, retry: { maxAttempts: 1 }, circuitBreaker: { failureThreshold: 2, halfOpenAfterSeconds: 0.3 } });
    const first = runner(store);
    expect((await first.instance.run(target, scheduled())).status).toBe('down');
    expect((await first.instance.run(target, scheduled())).status).toBe('down');
    expect(first.telemetry.circuits).toEqual([{ job: 'target', state: 'open' }]);

    // A second instance sharing the store sees the open circuit: the state survives across instances.
    const second = runner(store);
    const skipped = await second.instance.run(target, scheduled());
    expect(skipped).toMatchObject({ status: 'skipped', attempts: 0, error: { kind: 'circuit-open' } });
    expect(server.requests).toHaveLength(2);
    expect((await store.loadState('target'))?.health).toBe('DOWN');

    healthy = true;
    await sleep(350);
    const probe = await second.instance.run(target, scheduled());
    expect(probe.status).toBe('up');
    expect(second.telemetry.circuits.map((c) => c.state)).toEqual(['half-open', 'closed']);
  });

  it('leaves the circuit out when the job turns it off', async () => {
    const server = await serve((_req, res) => res.writeHead(404).end());
    const { instance } = runner();
    const target = job({ url: server.url, retry: { maxAttempts: 1 }, circuitBreaker: false });
    for (let i = 0; i < 7; i++) expect((await instance.run(target, scheduled())).status).toBe('down');
    expect(server.requests).toHaveLength(7);
  });

  it('skips a scheduled run while the previous run of the same job is still in progress', async () => {
    const server = await serve((_req, res) => {
      setTimeout(() => res.end('ok'), 200);
    });
    const { instance } = runner();
    const target = job({ url: server.url });
    const [a, b] = await Promise.all([instance.run(target, scheduled()), instance.run(target, scheduled())]);
    expect(a.status).toBe('up');
    expect(b).toMatchObject({ status: 'skipped', error: { kind: 'overlap' } });
  });

  it('bounds concurrent checks with the bulkhead and skips what does not fit its queue', async () => {
    const server = await serve((_req, res) => {
      setTimeout(() => res.end('ok'), 200);
    });
    const { instance } = runner(new MemoryStore(), 1, 0);
    const [a, b] = await Promise.all([
      instance.run(job({ name: 'a', url: server.url }), scheduled()),
      instance.run(job({ name: 'b', url: server.url }), scheduled()),
    ]);
    expect(a.status).toBe('up');
    expect(b).toMatchObject({ status: 'skipped', error: { kind: 'overloaded' } });
  });

  it('evaluates body conditions against the response', async () => {
    const server = await serve((_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end('{"status":"DOWN","items":[1,2]}'));
    const { instance } = runner();
    const run = await instance.run(
      job({ url: server.url, conditions: ['[BODY].status == UP', 'len([BODY].items) == 2', '[HEADERS].content-type == pat(application/json*)'] }),
      scheduled(),
    );
    expect(run.status).toBe('down');
    expect(run.conditions.map((c) => [c.success, c.actual])).toEqual([
      [false, 'DOWN'],
      [true, '2'],
      [true, 'application/json'],
    ]);
    expect(run.error).toEqual({ kind: 'conditions', message: '[BODY].status (DOWN) == UP' });
  });
});
