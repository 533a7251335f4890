import type { IncomingMessage, ServerResponse } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApi, type ApiHost } from '../../support/api.js';
import { sleep, startServer, type TestServer } from '../../support/servers.js';

interface RunBody {
  status: string;
  success: boolean;
  error?: unknown;
  conditions: Array<{ condition: string; success: boolean; actual: string | null; degraded?: true }>;
}

/** Issue 15 item 7 end to end: a local host runs a job with degradedConditions against a real node:http target. */
describe('degraded runs, end to end', () => {
  let target: TestServer;
  let api: ApiHost;
  let mode: 'fast' | 'slow' | 'broken' = 'fast';

  beforeAll(async () => {
    target = await startServer(async (_req: IncomingMessage, res: ServerResponse) => {
      if (mode === 'slow') await sleep(400);
      res.writeHead(mode === 'broken' ? 503 : 200).end('ok');
    });
    api = await startApi({
      jobs: [{ name: 'checkout', url: `${target.url}/health`, conditions: ['[STATUS] == 200'], degradedConditions: ['[RESPONSE_TIME] < 250'], retry: { maxAttempts: 1 } }],
    });
  });
  afterAll(async () => {
    await api?.host.stop();
    await target?.close();
  });

  const runNow = async () => (await (await api.call('POST', '/jobs/checkout/run')).json()) as RunBody;
  const health = async () => ((await (await api.call('GET', '/jobs/checkout')).json()) as { state: { health: string; consecutiveSuccesses: number } }).state;

  it.each([
    { mode: 'fast' as const, status: 'up', success: true, health: 'UP', degradedHeld: true },
    { mode: 'slow' as const, status: 'degraded', success: true, health: 'DEGRADED', degradedHeld: false },
    { mode: 'broken' as const, status: 'down', success: false, health: 'DOWN', degradedHeld: undefined },
    { mode: 'fast' as const, status: 'up', success: true, health: 'UP', degradedHeld: true },
  ])('a $mode target: run $status, job $health', async (row) => {
    mode = row.mode;
    const run = await runNow();
    expect(run).toMatchObject({ status: row.status, success: row.success });
    expect(run.conditions[0]).toMatchObject({ condition: '[STATUS] == 200', success: row.mode !== 'broken' });
    const degraded = run.conditions.filter((c) => c.degraded === true);
    if (row.degradedHeld === undefined) expect(degraded).toEqual([]);
    else expect(degraded).toEqual([expect.objectContaining({ condition: '[RESPONSE_TIME] < 250', success: row.degradedHeld, degraded: true })]);
    expect(run.error === undefined).toBe(row.success);
    expect((await health()).health).toBe(row.health);
  }, 20_000);

  it('lists the degraded run in the history and counts it in the metrics as a success', async () => {
    const runs = (await (await api.call('GET', '/jobs/checkout/runs')).json()) as { runs: RunBody[] };
    expect(runs.runs.map((r) => r.status)).toEqual(['up', 'down', 'degraded', 'up']);
    const metrics = await (await api.call('GET', '/metrics')).text();
    expect(metrics).toMatch(/pulsecheck_runs_total\{job="checkout",status="degraded"\} 1/);
  });
});
