import type { IncomingMessage, ServerResponse } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemoryStore } from '../../../src/adapters/memory-store/memoryStore.js';
import type { ComponentHealth } from '../../../src/app/ports/index.js';
import { startApi, type ApiHost } from '../../support/api.js';
import { eventually } from '../../support/eventually.js';
import { sleep, startServer, type TestServer } from '../../support/servers.js';

interface Health {
  status: string;
  checks: Record<string, ComponentHealth & { longRunning?: number; longRunningJobs?: string[] }>;
}

/**
 * Issue 12, "one slow job stalls all": a check against a target that never answers must not delay
 * another job's occurrences, and `/api/health` must say that a check runs longer than its tick.
 */
describe('a check that never ends does not delay the other jobs', () => {
  let target: TestServer;
  let api: ApiHost;
  const hanging = new Set<ServerResponse>();

  beforeAll(async () => {
    target = await startServer((req: IncomingMessage, res: ServerResponse) => {
      if (req.url === '/hang') hanging.add(res); // never answered
      else res.writeHead(200).end('ok');
    });
    api = await startApi(
      { jobs: [{ name: 'healthy', url: `${target.url}/ok`, every: '1s' }] },
      { PULSECHECK_TICK_SCHEDULE: '*/1 * * * * *' },
    );
  });
  afterAll(async () => {
    await api?.host.stop();
    await target?.close();
  });

  it('runs the healthy job at every instant while an API job hangs for 60 s, and health names the hanging check', async () => {
    const created = await api.call('POST', '/jobs', { body: { name: 'stuck', url: `${target.url}/hang`, every: '1s', timeoutSeconds: 60 } });
    expect(created.status).toBe(201);
    await eventually(() => hanging.size > 0, { timeoutMs: 5_000, what: 'the stuck job to reach its target' });
    const from = Date.now();
    await sleep(6_000);
    const healthy = target.requests.filter((r) => r.path === '/ok' && r.at >= from);
    // One occurrence a second: at least 5 in 6 s, each arriving within 500 ms of its whole second.
    expect(healthy.length).toBeGreaterThanOrEqual(5);
    for (const request of healthy) expect(request.at % 1_000).toBeLessThan(500);

    const health = (await (await api.call('GET', '/health')).json()) as Health;
    expect(health.checks.dispatcher).toMatchObject({ longRunning: 1, longRunningJobs: ['stuck'] });
    expect(health.checks.dispatcher?.detail).toContain('stuck');
  }, 30_000);
});

/** A store whose health and reads of the last tick never answer, as a storage account that hangs. */
function hangingStore(): MemoryStore {
  const never = () => new Promise<never>(() => undefined);
  return Object.assign(new MemoryStore(), { health: never, loadLastTick: never });
}

describe('/api/health answers within 1 s whatever a dependency does', () => {
  let api: ApiHost;
  beforeAll(async () => {
    api = await startApi({ jobs: [] }, {}, hangingStore());
  });
  afterAll(async () => {
    await api?.host.stop();
  });

  it('reports a dependency that does not answer as degraded, naming the deadline', async () => {
    const started = Date.now();
    const response = await api.call('GET', '/health');
    const elapsed = Date.now() - started;
    expect(response.status).toBe(200);
    const health = (await response.json()) as Health;
    expect(elapsed).toBeLessThan(1_000);
    expect(health.status).toBe('degraded');
    expect(health.checks.storage).toMatchObject({ status: 'degraded', detail: expect.stringContaining('no answer within') as unknown });
  });
});
