import { bulkhead } from 'cockatiel';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MemoryStore } from '../../../src/adapters/memory-store/memoryStore.js';
import { CheckRunner, type RunRequest } from '../../../src/app/checkRunner.js';
import type { ProbeRequest } from '../../../src/app/ports/index.js';
import type { Job } from '../../../src/domain/job.js';
import { FakeProber, type FakeAnswer } from '../../support/fakeProber.js';
import { FakeTimersClock, MemoryLogger, RecordingTelemetry } from '../../support/fakes.js';
import { job } from '../../support/jobs.js';

const URL = 'https://api.example.com/health';
const fastRetry = { maxAttempts: 3, initialDelayMs: 10, maxDelayMs: 20 };

describe('CheckRunner: the whole policy, on a fake prober and fake time', () => {
  let clock: FakeTimersClock;
  let sequence = 0;
  const scheduled = (): RunRequest => {
    const at = clock.now() + sequence++;
    return { runId: `target@${new Date(at).toISOString()}`, trigger: 'schedule', scheduledAt: at };
  };

  /** A runner over `answer`; `limit` and `queue` size its bulkhead. */
  const runner = (answer?: (request: ProbeRequest, n: number) => FakeAnswer, store = new MemoryStore(), limit = 16, queue = 64) => {
    const telemetry = new RecordingTelemetry();
    const prober = new FakeProber(answer);
    const instance = new CheckRunner({ prober, clock, store, telemetry, logger: new MemoryLogger(), bulkhead: bulkhead(limit, queue), location: 'test' });
    /** Runs one check, moving fake time as far as it needs. */
    const run = (target: Job, request = scheduled(), signal?: AbortSignal) => clock.finish(instance.run(target, request, signal));
    return { instance, run, prober, store, telemetry };
  };

  beforeEach(() => {
    clock = FakeTimersClock.install();
  });
  afterEach(() => {
    clock.uninstall();
  });

  it('records a healthy run as up, in the store, the job state and telemetry', async () => {
    const { run, store, telemetry, prober } = runner(() => ({ status: 200, afterMs: 12 }));
    const request = scheduled();
    const startedAt = clock.now();
    const result = await run(job({ url: URL }), request);
    expect(result).toEqual({
      runId: request.runId,
      job: 'target',
      trigger: 'schedule',
      scheduledAt: new Date(request.scheduledAt).toISOString(),
      startedAt: new Date(startedAt).toISOString(),
      durationMs: 12,
      attempts: 1,
      status: 'up',
      success: true,
      httpStatus: 200,
      conditions: [
        { condition: '[STATUS] >= 200', success: true, actual: '200' },
        { condition: '[STATUS] < 300', success: true, actual: '200' },
      ],
      timings: { dns: 0, connect: 0, tls: 0, firstByte: 12, total: 12 },
      location: 'test',
    });
    expect(prober.requests.map((seen) => seen.request.runId)).toEqual([request.runId]);
    expect(await store.listRuns('target', { limit: 10 })).toEqual([result]);
    expect((await store.loadState('target'))?.health).toBe('UP');
    expect(telemetry.runs).toEqual([result]);
    expect(telemetry.health.map((e) => `${e.from}->${e.to}`)).toEqual(['UNKNOWN->UP']);
  });

  it.each([
    { name: 'retries a flaky target until it answers', statuses: [503, 503, 200], status: 'up', attempts: 3, httpStatus: 200 },
    { name: 'gives up on a 500 after maxAttempts', statuses: [500, 500, 500, 200], status: 'down', attempts: 3, httpStatus: 500 },
    { name: 'does not retry a failure that is not transient (404)', statuses: [404, 200], status: 'down', attempts: 1, httpStatus: 404 },
    { name: 'retries 408 and 429', statuses: [408, 429, 200], status: 'up', attempts: 3, httpStatus: 200 },
    { name: 'does not retry 501', statuses: [501, 200], status: 'down', attempts: 1, httpStatus: 501 },
  ])('$name', async ({ statuses, status, attempts, httpStatus }) => {
    const { run, prober } = runner((_request, n) => ({ status: statuses[n - 1] ?? 200 }));
    expect(await run(job({ url: URL, retry: fastRetry }))).toMatchObject({ status, attempts, httpStatus });
    expect(prober.attempts).toEqual(Array.from({ length: attempts }, (_, i) => i + 1));
  });

  it('retries transport failures that may pass (connect, dns, reset) but not tls', async () => {
    const kinds = ['connect', 'dns', 'reset', 'tls'] as const;
    const { run, prober } = runner((_request, n) => ({ fail: kinds[n - 1] ?? 'tls' }));
    const result = await run(job({ url: URL, retry: { ...fastRetry, maxAttempts: 10 } }));
    expect(result).toMatchObject({ status: 'down', attempts: 4, httpStatus: null, error: { kind: 'tls', message: 'tls failed' } });
    expect(prober.requests).toHaveLength(4);
  });

  it('reports the failed condition of the final attempt', async () => {
    const { run } = runner(() => ({ status: 500 }));
    const result = await run(job({ url: URL, retry: fastRetry, conditions: ['[STATUS] == 200'] }));
    expect(result.error).toEqual({ kind: 'conditions', message: '[STATUS] (500) == 200' });
  });

  it('honours Retry-After on a 429, in clock time', async () => {
    const { run, prober } = runner((_request, n) => (n === 1 ? { status: 429, headers: { 'Retry-After': '1' } } : { status: 200 }));
    expect(await run(job({ url: URL, retry: fastRetry }))).toMatchObject({ status: 'up', attempts: 2, durationMs: 1_000 });
    expect((prober.requests[1]?.at ?? 0) - (prober.requests[0]?.at ?? 0)).toBe(1_000);
  });

  it('does not wait for a Retry-After beyond the deadline', async () => {
    const { run } = runner(() => ({ status: 429, headers: { 'retry-after': '120' } }));
    const result = await run(job({ url: URL, timeoutSeconds: 2, retry: { ...fastRetry, deadlineSeconds: 5 } }));
    expect(result).toMatchObject({ status: 'down', attempts: 1, httpStatus: 429, durationMs: 0 });
  });

  it('times out each attempt, retries, and reports a timeout', async () => {
    const { run, prober } = runner(() => ({ hang: true }));
    const result = await run(job({ url: URL, timeoutSeconds: 0.2, retry: { ...fastRetry, maxAttempts: 2 } }));
    expect(result).toMatchObject({ status: 'down', attempts: 2, httpStatus: null, error: { kind: 'timeout', message: 'no response within 200 ms' } });
    // Two timeouts and one backoff delay of at most maxDelayMs (jittered).
    expect(result.durationMs).toBeGreaterThanOrEqual(400);
    expect(result.durationMs).toBeLessThanOrEqual(400 + 20);
    expect(prober.requests).toHaveLength(2);
  });

  it('stops retrying at the overall deadline', async () => {
    const { run } = runner(() => ({ hang: true }));
    const target = job({ url: URL, timeoutSeconds: 0.3, retry: { maxAttempts: 10, initialDelayMs: 10, maxDelayMs: 10, deadlineSeconds: 0.5 } });
    const result = await run(target);
    expect(result).toMatchObject({ status: 'down', attempts: 2, durationMs: 500 });
  });

  it('records a run cut short by shutdown as skipped (aborted): the job keeps its health and its breaker count', async () => {
    let hang = false;
    const { instance, run, store, telemetry } = runner(() => (hang ? { hang: true } : { status: 200 }));
    const target = job({ url: URL, timeoutSeconds: 5, retry: fastRetry, circuitBreaker: { failureThreshold: 1, halfOpenAfterSeconds: 60 } });
    expect((await run(target)).status).toBe('up');
    hang = true;
    const shutdown = new AbortController();
    const pending = instance.run(target, scheduled(), shutdown.signal);
    await clock.advance(200);
    shutdown.abort();
    const result = await clock.finish(pending);
    expect(result).toMatchObject({ status: 'skipped', success: false, attempts: 1, httpStatus: null, durationMs: 200, error: { kind: 'aborted' } });
    expect((await store.loadState('target'))?.health).toBe('UP');
    expect(telemetry.circuits).toEqual([]);
    // Had the abort counted as a failure, this threshold-1 breaker would be open and skip the run.
    hang = false;
    expect((await run(target)).status).toBe('up');
  });

  it('a shutdown aborts every check running on its signal, through one listener on it; a check started after it is aborted at once', async () => {
    let hang = true;
    const { instance, run } = runner(() => (hang ? { hang: true } : { status: 200 }));
    const targets = Array.from({ length: 50 }, (_, i) => job({ name: `hung${i}`, url: URL, timeoutSeconds: 5, retry: { maxAttempts: 1 } }));
    const shutdown = new AbortController();
    const added: string[] = [];
    const addEventListener = shutdown.signal.addEventListener.bind(shutdown.signal);
    shutdown.signal.addEventListener = ((type: string, ...rest: [EventListener, AddEventListenerOptions?]) => {
      added.push(type);
      addEventListener(type, ...rest);
    }) as typeof shutdown.signal.addEventListener;
    const pending = targets.map((target) => instance.run(target, scheduled(), shutdown.signal));
    await clock.advance(100);
    // Every check listens to a signal of its own: the shared one has a single listener, not one per check and policy layer.
    expect(added).toEqual(['abort']);
    shutdown.abort();
    const results = await clock.finish(Promise.all(pending));
    expect(results.map((r) => r.error?.kind)).toEqual(targets.map(() => 'aborted'));
    const late = await run(job({ name: 'late', url: URL, timeoutSeconds: 5, retry: { maxAttempts: 1 } }), scheduled(), shutdown.signal);
    expect(late).toMatchObject({ status: 'skipped', error: { kind: 'aborted' } });
    hang = false;
    expect((await run(targets[0] as Job)).status).toBe('up');
  });

  it('opens the circuit after consecutive failed runs, skips while open (across instances), probes after halfOpenAfter', async () => {
    let healthy = false;
    const answer = () => ({ status: healthy ? 200 : 404 });
    const store = new MemoryStore();
    const target = job({ url: URL, retry: { maxAttempts: 1 }, circuitBreaker: { failureThreshold: 2, halfOpenAfterSeconds: 30 } });
    const first = runner(answer, store);
    expect((await first.run(target)).status).toBe('down');
    expect((await first.run(target)).status).toBe('down');
    expect(first.telemetry.circuits).toEqual([{ job: 'target', state: 'open' }]);

    // A second instance sharing the store sees the open circuit: the state survives across instances.
    const second = runner(answer, store);
    expect(await second.run(target)).toMatchObject({ status: 'skipped', attempts: 0, error: { kind: 'circuit-open' } });
    expect(second.prober.requests).toHaveLength(0);
    expect((await store.loadState('target'))?.health).toBe('DOWN');

    healthy = true;
    await clock.advance(29_000);
    expect((await second.run(target)).status).toBe('skipped');
    await clock.advance(1_000);
    expect((await second.run(target)).status).toBe('up');
    expect(second.telemetry.circuits.map((c) => c.state)).toEqual(['half-open', 'closed']);
  });

  it('leaves the circuit out when the job turns it off', async () => {
    const { run, prober } = runner(() => ({ status: 404 }));
    const target = job({ url: URL, retry: { maxAttempts: 1 }, circuitBreaker: false });
    for (let i = 0; i < 7; i++) expect((await run(target)).status).toBe('down');
    expect(prober.requests).toHaveLength(7);
  });

  it('skips a scheduled run while the previous run of the same job is still in progress', async () => {
    const { instance } = runner(() => ({ status: 200, afterMs: 200 }));
    const target = job({ url: URL });
    const [a, b] = await clock.finish(Promise.all([instance.run(target, scheduled()), instance.run(target, scheduled())]));
    expect(a.status).toBe('up');
    expect(b).toMatchObject({ status: 'skipped', error: { kind: 'overlap' } });
  });

  it('bounds concurrent checks with the bulkhead and skips what does not fit its queue', async () => {
    const { instance } = runner(() => ({ status: 200, afterMs: 200 }), new MemoryStore(), 1, 0);
    const [a, b] = await clock.finish(Promise.all([instance.run(job({ name: 'a', url: URL }), scheduled()), instance.run(job({ name: 'b', url: URL }), scheduled())]));
    expect(a.status).toBe('up');
    expect(b).toMatchObject({ status: 'skipped', error: { kind: 'overloaded' } });
  });

  it('reports a fault of its own as an error run (internal), not an exception', async () => {
    const { run } = runner(() => {
      throw new Error('a bug in the prober');
    });
    expect(await run(job({ url: URL }))).toMatchObject({ status: 'error', attempts: 0, error: { kind: 'internal' } });
  });

  it('evaluates body conditions against the response', async () => {
    const { run } = runner(() => ({ status: 200, headers: { 'content-type': 'application/json' }, body: '{"status":"DOWN","items":[1,2]}' }));
    const result = await run(job({ url: URL, conditions: ['[BODY].status == UP', 'len([BODY].items) == 2', '[HEADERS].content-type == pat(application/json*)'] }));
    expect(result.status).toBe('down');
    expect(result.conditions.map((c) => [c.success, c.actual])).toEqual([
      [false, 'DOWN'],
      [true, '2'],
      [true, 'application/json'],
    ]);
    expect(result.error).toEqual({ kind: 'conditions', message: '[BODY].status (DOWN) == UP' });
  });
});
