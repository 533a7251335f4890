import type { IncomingMessage, ServerResponse } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Run } from '../../../src/domain/run.js';
import { startApi, type ApiHost } from '../../support/api.js';
import { eventually } from '../../support/eventually.js';
import { sleep, startServer, type TestServer } from '../../support/servers.js';

/**
 * Issue 15, item 6, end to end with real node:http targets: a failing job's `onFailure` follow-up
 * runs right after it (trigger `followup`, `parentRunId`), without delaying the parent, and chains
 * of follow-ups stop at 3 levels.
 */
describe('follow-ups', () => {
  let target: TestServer;
  let api: ApiHost;

  const runs = async (job: string): Promise<Run[]> => ((await (await api.call('GET', `/jobs/${job}/runs?limit=50`)).json()) as { runs: Run[] }).runs;

  beforeAll(async () => {
    target = await startServer(async (req: IncomingMessage, res: ServerResponse) => {
      if (req.url === '/main') return res.writeHead(503).end('down');
      if (req.url === '/slow') await sleep(1_500);
      res.writeHead(200).end('ok');
    });
    const once = { retry: { maxAttempts: 1 }, circuitBreaker: false };
    api = await startApi(
      {
        jobs: [
          // Scheduled every second, always failing; its diagnostics run only as its follow-up.
          { name: 'main', url: `${target.url}/main`, every: '1s', onFailure: ['diag'], onSuccess: ['never'], ...once },
          { name: 'diag', url: `${target.url}/diag`, enabled: false, ...once },
          { name: 'never', url: `${target.url}/never`, enabled: false, ...once },
          // Run by hand: a chain of five, each the next one's follow-up on completion.
          { name: 'c0', url: `${target.url}/main`, enabled: false, onFailure: ['slow'], onCompletion: ['c1'], ...once },
          { name: 'c1', url: `${target.url}/c1`, enabled: false, onCompletion: ['c2'], ...once },
          { name: 'c2', url: `${target.url}/c2`, enabled: false, onCompletion: ['c3'], ...once },
          { name: 'c3', url: `${target.url}/c3`, enabled: false, onCompletion: ['c4'], ...once },
          { name: 'c4', url: `${target.url}/c4`, enabled: false, ...once },
          { name: 'slow', url: `${target.url}/slow`, enabled: false, ...once },
        ],
      },
      { PULSECHECK_TICK_SCHEDULE: '*/1 * * * * *' },
    );
  });
  afterAll(async () => {
    await api?.host.stop();
    await target?.close();
  });

  it('runs the onFailure follow-up of a failing scheduled run, with trigger followup and parentRunId', async () => {
    const followUp = await eventually(async () => (await runs('diag'))[0], { timeoutMs: 8_000, what: 'a run of diag' });
    expect(followUp).toMatchObject({ job: 'diag', trigger: 'followup', status: 'up', attempts: 1 });
    expect(followUp.runId).toMatch(/^diag@.*~followup-[0-9a-f]{6}$/);
    const parents = await runs('main');
    const parent = parents.find((run) => run.runId === followUp.parentRunId);
    expect(parent).toMatchObject({ job: 'main', trigger: 'schedule', status: 'down' });
    // Right after the parent: started once the parent ended.
    expect(Date.parse(followUp.startedAt)).toBeGreaterThanOrEqual(Date.parse((parent as Run).startedAt) + (parent as Run).durationMs);
    expect(Date.parse(followUp.startedAt) - Date.parse((parent as Run).startedAt)).toBeLessThan(1_000);
    // onSuccess did not fire for a failed run.
    expect(await runs('never')).toEqual([]);
  });

  it('answers a manual run before its slow follow-up ends, and stops a chain at 3 levels', async () => {
    const started = Date.now();
    const response = await api.call('POST', '/jobs/c0/run');
    const parent = (await response.json()) as Run;
    expect(Date.now() - started).toBeLessThan(1_200);
    expect(parent).toMatchObject({ status: 'down', trigger: 'manual' });
    expect(parent.parentRunId).toBeUndefined();

    const slow = await eventually(async () => (await runs('slow'))[0], { timeoutMs: 5_000, what: 'the slow follow-up' });
    expect(slow).toMatchObject({ trigger: 'followup', parentRunId: parent.runId, status: 'up' });
    expect(slow.durationMs).toBeGreaterThanOrEqual(1_400);

    const c3 = await eventually(async () => (await runs('c3'))[0], { timeoutMs: 5_000, what: 'the third level' });
    const [c1] = await runs('c1');
    const [c2] = await runs('c2');
    expect(c1).toMatchObject({ trigger: 'followup', parentRunId: parent.runId });
    expect(c2).toMatchObject({ trigger: 'followup', parentRunId: c1?.runId });
    expect(c3).toMatchObject({ trigger: 'followup', parentRunId: c2?.runId });
    await sleep(500);
    expect(await runs('c4')).toEqual([]);
    expect(api.logger.records.some((r) => r.level === 'warn' && r.message?.includes('deeper than 3 levels'))).toBe(true);
  });
});
