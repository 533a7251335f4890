import { bulkhead } from 'cockatiel';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { MemoryStore } from '../../../src/adapters/memory-store/memoryStore.js';
import { SystemClock } from '../../../src/adapters/system-clock/systemClock.js';
import { UndiciProber } from '../../../src/adapters/undici-prober/prober.js';
import { CheckRunner, type RunRequest } from '../../../src/app/checkRunner.js';
import { job } from '../../support/jobs.js';
import { MemoryLogger, RecordingTelemetry } from '../../support/fakes.js';
import { LOOPBACK_ALLOWED } from '../../support/network.js';
import { startServer, type Handler, type TestServer } from '../../support/servers.js';

let sequence = 0;
const scheduled = (): RunRequest => {
  const at = Date.now() + sequence++;
  return { runId: `target@${new Date(at).toISOString()}`, trigger: 'schedule', scheduledAt: at };
};

// The policy's rules run on a fake prober and fake time in test/unit/checks/checkRunner.test.ts; here,
// what needs the real prober: a whole check over HTTP, and timeouts and shutdown aborting real requests.
describe('CheckRunner: the whole policy against a real target', () => {
  let prober: UndiciProber;
  const servers: TestServer[] = [];
  const serve = async (handler: Handler) => {
    const server = await startServer(handler);
    servers.push(server);
    return server;
  };
  const fastRetry = { maxAttempts: 3, initialDelayMs: 10, maxDelayMs: 20 };

  const runner = (store = new MemoryStore()) => {
    const telemetry = new RecordingTelemetry();
    const instance = new CheckRunner({
      prober,
      clock: new SystemClock(),
      store,
      telemetry,
      logger: new MemoryLogger(),
      bulkhead: bulkhead(16, 64),
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
