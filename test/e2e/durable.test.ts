import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Run } from '../../src/domain/run.js';
import type { RunningAzurite } from '../../src/hosts/local/azurite.js';
import { acquireAzurite, releaseAzurite, uniquePrefix } from '../support/azurite.js';
import { appFolder, runCli, type RunningCli } from '../support/host.js';
import { eventually } from '../support/eventually.js';
import { startServer, type TestServer } from '../support/servers.js';

/**
 * The issue's "done when", end to end with the built CLI and Table Storage on Azurite: a job created
 * through the API runs on schedule, survives a restart with its state and history, its history
 * pages, and the audit log shows the change.
 */
describe('pulsecheck start with Table Storage: a restart keeps jobs, state and history', () => {
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
  const stop = async (host: RunningCli) => {
    host.child.kill('SIGTERM');
    expect(await host.exited).toBe(0);
  };
  const json = async <T>(url: string, init?: RequestInit) => (await (await fetch(url, init)).json()) as T;

  beforeAll(async () => {
    azurite = await acquireAzurite();
    target = await startServer((_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end('{"status":"UP"}'));
    dir = appFolder(
      { jobs: [{ name: 'fileJob', url: `${target.url}/file`, every: '1h' }] },
      {
        AzureWebJobsStorage: azurite.connectionString,
        PULSECHECK_TABLE_PREFIX: uniquePrefix('e2e'),
        PULSECHECK_PORT: '0',
        PULSECHECK_TICK_SCHEDULE: '*/1 * * * * *',
        PULSECHECK_LOG_FORMAT: 'json',
      },
    );
  });
  afterAll(async () => {
    for (const host of hosts) if (host.child.exitCode === null) host.child.kill('SIGKILL');
    await target?.close();
    await releaseAzurite();
  });

  it('runs an API job on schedule, and after a restart still has it, its state, history and audit', async () => {
    const first = await start();
    const created = await fetch(`${first.api}/jobs`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-ms-client-principal-name': 'ops@example.test' },
      body: JSON.stringify({ name: 'apiJob', url: `${target.url}/api`, every: '1s', conditions: ['[BODY].status == UP'] }),
    });
    expect(created.status).toBe(201);
    const etag = created.headers.get('etag');
    // Scheduled from the next tick: wait for three scheduled runs at the target.
    const scheduled = () => target.requests.filter((r) => r.path === '/api' && /^apiJob@[^~]+#1$/.test(String(r.headers['x-pulsecheck-run'])));
    await eventually(() => scheduled().length >= 3, { timeoutMs: 10_000, intervalMs: 100, what: () => `three scheduled runs (${scheduled().length} so far)` });
    const before = await json<{ runs: Run[] }>(`${first.api}/jobs/apiJob/runs?limit=1000`);
    expect(before.runs.length).toBeGreaterThanOrEqual(3);
    expect(before.runs.every((r) => r.trigger === 'schedule' && r.status === 'up')).toBe(true);
    await stop(first.host);

    const second = await start();
    const job = await json<{ source: string; etag: string; state: { health: string; consecutiveSuccesses: number } }>(`${second.api}/jobs/apiJob`);
    expect(job).toMatchObject({ source: 'api', state: { health: 'UP' } });
    expect(`"${job.etag}"`).toBe(etag);
    expect(job.state.consecutiveSuccesses).toBeGreaterThanOrEqual(before.runs.length);
    const after = await json<{ runs: Run[] }>(`${second.api}/jobs/apiJob/runs?limit=1000`);
    const ids = new Set(after.runs.map((r) => r.runId));
    for (const run of before.runs) expect(ids.has(run.runId)).toBe(true);
    // Pages of two, newest first, cover the same history exactly once.
    const paged: Run[] = [];
    let cursor: string | undefined;
    do {
      const page: { runs: Run[]; nextCursor?: string } = await json(`${second.api}/jobs/apiJob/runs?limit=2${cursor ? `&cursor=${cursor}` : ''}`);
      paged.push(...page.runs);
      cursor = page.nextCursor;
    } while (cursor);
    expect(paged.map((r) => r.runId).slice(0, before.runs.length)).toEqual(
      [...paged].sort((a, b) => Date.parse(b.scheduledAt) - Date.parse(a.scheduledAt)).map((r) => r.runId).slice(0, before.runs.length),
    );
    expect(new Set(paged.map((r) => r.runId)).size).toBe(paged.length);
    const { entries } = await json<{ entries: Array<{ action: string; job: string; actor: { name: string } }> }>(`${second.api}/audit`);
    // A client-sent principal name is not believed without App Service Authentication.
    expect(entries).toContainEqual(expect.objectContaining({ action: 'job.create', job: 'apiJob', actor: { name: 'local host', via: 'none' } }));
    const health = await json<{ checks: Record<string, { status: string }> }>(`${second.api}/health`);
    expect(health.checks.storage?.status).toBe('ok');
    await stop(second.host);
  }, 60_000);
});
