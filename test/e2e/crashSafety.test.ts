import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Run } from '../../src/domain/run.js';
import { acquireAzurite, releaseAzurite, uniquePrefix } from '../support/azurite.js';
import { eventually } from '../support/eventually.js';
import { appFolder, runCli, type RunningCli } from '../support/host.js';
import { sleep, startServer, type TestServer } from '../support/servers.js';

/**
 * A local host (`pulsecheck start`) on the shared Azurite with one job against a slow target, so a
 * check is in flight when the test kills the host: `start` runs a host (each is killed at the end).
 * The killed host holds the dispatcher's lock (a blob lease, docs/scaling.md) until it lapses: the
 * shortest lease and a quick poll, so the next host ticks about 16 s after the kill.
 */
function crashWorld(job: string, every: string, answerAfterMs: number) {
  const world = { target: undefined as unknown as TestServer, dir: '' };
  const hosts: RunningCli[] = [];
  beforeAll(async () => {
    const azurite = await acquireAzurite();
    world.target = await startServer(async (_req, res) => {
      await sleep(answerAfterMs);
      res.writeHead(200).end('ok');
    });
    world.dir = appFolder(
      { jobs: [{ name: job, url: `${world.target.url}/${job}`, every }] },
      {
        AzureWebJobsStorage: azurite.connectionString,
        PULSECHECK_TABLE_PREFIX: uniquePrefix('crash'),
        PULSECHECK_PORT: '0',
        PULSECHECK_TICK_SCHEDULE: '*/1 * * * * *',
      },
    );
    writeFileSync(join(world.dir, 'host.json'), JSON.stringify({ version: '2.0', singleton: { listenerLockPeriod: '00:00:15', listenerLockRecoveryPollingInterval: '00:00:01' } }));
  });
  afterAll(async () => {
    for (const host of hosts) if (host.child.exitCode === null) host.child.kill('SIGKILL');
    await world.target?.close();
    await releaseAzurite();
  });
  return {
    get target() {
      return world.target;
    },
    async start() {
      const host = runCli(['start'], world.dir);
      hosts.push(host);
      const api = (await host.waitFor(/listening on (http:\/\/127\.0\.0\.1:\d+\/api)/))[1] as string;
      return { host, api };
    },
    /** The history of the job, newest first. */
    async runs(api: string): Promise<Run[]> {
      return ((await (await fetch(`${api}/jobs/${job}/runs?limit=100`)).json()) as { runs: Run[] }).runs;
    },
  };
}

/**
 * Issue 12, crash safety: a host killed (SIGKILL) while a check is in flight never records that run;
 * the next host on the same storage catches the occurrence up once, under its own run id.
 */
describe('pulsecheck start killed during a check', () => {
  // Every 30 s: the next host ticks before the job's next occurrence (had it been missed too, one
  // catch-up would stand for both: the test below). The target answers after 3 s.
  const world = crashWorld('slow', '30s', 3_000);
  const attemptsOf = (runId: string) => world.target.requests.filter((r) => r.headers['x-pulsecheck-run'] === `${runId}#1`);

  it('records the occurrence in flight exactly once, as a catch-up, after a restart', async () => {
    const first = await world.start();
    const arrived = await eventually(() => world.target.requests[0], { timeoutMs: 35_000, what: 'the first scheduled request' });
    const runId = String(arrived.headers['x-pulsecheck-run']).replace(/#\d+$/, '');
    await sleep(1_000); // the check is in flight (its target answers after 3 s)
    first.host.child.kill('SIGKILL');
    await first.host.exited;

    const second = await world.start();
    await eventually(() => attemptsOf(runId).length === 2, { timeoutMs: 25_000, what: () => `the catch-up of ${runId} at the target` });
    const runs = await eventually(
      async () => {
        const mine = (await world.runs(second.api)).filter((run) => run.runId === runId);
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

/**
 * The same crash, with the host down for several periods of the job: the occurrence in flight and
 * the ones after it were all missed, and one catch-up run stands for them (docs/architecture.md).
 */
describe('pulsecheck start killed during a check and down for several periods', () => {
  const PERIOD_MS = 4_000;
  // Every 4 s, the lock lapsing in about 16 s: 3 or 4 occurrences after the one in flight are missed.
  const world = crashWorld('often', `${PERIOD_MS / 1_000}s`, 2_000);

  it('records one catch-up run for the gap: the lost run is neither repeated nor recorded under its own id', async () => {
    const { host: first } = await world.start();
    const arrived = await eventually(() => world.target.requests[0], { timeoutMs: 30_000, what: 'the first scheduled request' });
    const lostId = String(arrived.headers['x-pulsecheck-run']).replace(/#\d+$/, '');
    const lostAt = Date.parse(lostId.slice(lostId.indexOf('@') + 1));
    await sleep(500);
    first.child.kill('SIGKILL');
    await first.exited;
    const killedAt = Date.now();

    const { host: second, api } = await world.start();
    // The catch-up and the first on-time run after it are in the history.
    const runs = await eventually(
      async () => {
        const history = await world.runs(api);
        const catchUps = history.filter((run) => run.catchUp);
        return catchUps.length > 0 && history.some((run) => !run.catchUp && Date.parse(run.scheduledAt) > Date.parse(catchUps[0]?.scheduledAt ?? '')) && history;
      },
      { timeoutMs: 45_000, intervalMs: 250, what: 'a catch-up and an on-time run after the restart' },
    );
    const catchUps = runs.filter((run) => run.catchUp);
    expect(catchUps).toHaveLength(1);
    const caught = catchUps[0] as Run;
    expect(caught).toMatchObject({ trigger: 'schedule', status: 'up', catchUp: true });
    // The host was down for several periods: the catch-up is the latest occurrence missed, not the lost one.
    const caughtAt = Date.parse(caught.scheduledAt);
    expect(caughtAt - lostAt).toBeGreaterThanOrEqual(2 * PERIOD_MS);
    expect(caughtAt).toBeGreaterThan(killedAt);
    // Nothing recorded for the lost occurrence or those between it and the catch-up; the lost one reached the target once.
    expect(runs.filter((run) => run.runId === lostId)).toEqual([]);
    expect(runs.filter((run) => Date.parse(run.scheduledAt) > lostAt && Date.parse(run.scheduledAt) < caughtAt)).toEqual([]);
    expect(world.target.requests.filter((r) => String(r.headers['x-pulsecheck-run']).startsWith(`${lostId}#`))).toHaveLength(1);
    second.child.kill('SIGTERM');
    expect(await second.exited).toBe(0);
  }, 120_000);
});
