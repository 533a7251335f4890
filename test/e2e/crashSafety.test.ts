import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Run } from '../../src/domain/run.js';
import type { RunningAzurite } from '../../src/hosts/local/azurite.js';
import { acquireAzurite, releaseAzurite, uniquePrefix } from '../support/azurite.js';
import { eventually } from '../support/eventually.js';
import { appFolder, runCli, type RunningCli } from '../support/host.js';
import { sleep, startServer, type TestServer } from '../support/servers.js';

/**
 * Issue 12, crash safety: a host killed (SIGKILL) while a check is in flight never records that run;
 * the next host on the same storage catches the occurrence up once, under its own run id.
 */
describe('pulsecheck start killed during a check', () => {
  let azurite: RunningAzurite;
  let target: TestServer;
  let dir: string;
  const hosts: RunningCli[] = [];

  const start = async () => {
    const host = runCli(['start'], dir);
    hosts.push(host);
    const api = (await host.waitFor(/listening on (http:\/\/127\.0\.0\.1:\d+\/api)/))[1] as string;
    return { host, api };
  };
  const attemptsOf = (runId: string) => target.requests.filter((r) => r.headers['x-pulsecheck-run'] === `${runId}#1`);

  beforeAll(async () => {
    azurite = await acquireAzurite();
    // A slow target: answers after 3 s, so the check is still in flight when the host is killed.
    target = await startServer(async (_req, res) => {
      await sleep(3_000);
      res.writeHead(200).end('ok');
    });
    dir = appFolder(
      { jobs: [{ name: 'slow', url: `${target.url}/slow`, every: '30s' }] },
      {
        AzureWebJobsStorage: azurite.connectionString,
        PULSECHECK_TABLE_PREFIX: uniquePrefix('crash'),
        PULSECHECK_PORT: '0',
        PULSECHECK_TICK_SCHEDULE: '*/1 * * * * *',
      },
    );
    // The killed host holds the dispatcher's lock (a blob lease, docs/scaling.md) until it lapses:
    // the shortest lease and a quick poll, so the next host ticks within about 16 s, before the
    // job's next occurrence (every 30 s; had it been missed too, one catch-up would stand for both).
    writeFileSync(join(dir, 'host.json'), JSON.stringify({ version: '2.0', singleton: { listenerLockPeriod: '00:00:15', listenerLockRecoveryPollingInterval: '00:00:01' } }));
  });
  afterAll(async () => {
    for (const host of hosts) if (host.child.exitCode === null) host.child.kill('SIGKILL');
    await target?.close();
    await releaseAzurite();
  });

  it('records the occurrence in flight exactly once, as a catch-up, after a restart', async () => {
    const first = await start();
    const arrived = await eventually(() => target.requests[0], { timeoutMs: 35_000, what: 'the first scheduled request' });
    const runId = String(arrived.headers['x-pulsecheck-run']).replace(/#\d+$/, '');
    await sleep(1_000); // the check is in flight (its target answers after 3 s)
    first.host.child.kill('SIGKILL');
    await first.host.exited;

    const second = await start();
    await eventually(() => attemptsOf(runId).length === 2, { timeoutMs: 25_000, what: () => `the catch-up of ${runId} at the target` });
    const runs = await eventually(
      async () => {
        const page = (await (await fetch(`${second.api}/jobs/slow/runs?limit=100`)).json()) as { runs: Run[] };
        const mine = page.runs.filter((run) => run.runId === runId);
        return mine.length > 0 && mine;
      },
      { timeoutMs: 8_000, what: `the run ${runId} in the history` },
    );
    expect(runs).toHaveLength(1);
    expect(runs[0]).toMatchObject({ runId, trigger: 'schedule', status: 'up', catchUp: true });
    // Caught up once: no third request for that occurrence.
    await sleep(1_500);
    expect(attemptsOf(runId)).toHaveLength(2);
    second.host.child.kill('SIGTERM');
    expect(await second.host.exited).toBe(0);
  }, 90_000);
});
