import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Run } from '../../src/domain/run.js';
import { eventually } from '../support/eventually.js';
import { appFolder, runCli, type RunningCli } from '../support/host.js';
import { startServer, type TestServer } from '../support/servers.js';

/** End to end: the local host started as a user starts it, driven over HTTP. */
describe('pulsecheck start (the local host)', () => {
  let target: TestServer;
  let host: RunningCli;
  let api: string;
  let releaseSlow: () => void = () => undefined;

  beforeAll(async () => {
    target = await startServer((req, res) => {
      if (req.url?.startsWith('/slow')) {
        releaseSlow = () => res.end('finally');
        return;
      }
      res.writeHead(req.url === '/down' ? 503 : 200, { 'content-type': 'application/json' }).end('{"status":"UP"}');
    });
    const dir = appFolder(
      {
        jobs: [
          { name: 'target', url: `${target.url}/health`, every: '1s', conditions: ['[STATUS] == 200', '[BODY].status == UP'] },
          { name: 'broken', url: `${target.url}/down`, every: '1h', retry: { maxAttempts: 1 }, conditions: ['[STATUS] == 200'] },
          { name: 'slow', url: `${target.url}/slow`, every: '1h', timeoutSeconds: 30 },
        ],
      },
      // local.settings.json Values are read as func start reads them.
      { PULSECHECK_PORT: '0', PULSECHECK_TICK_SCHEDULE: '*/2 * * * * *', PULSECHECK_SHUTDOWN_GRACE_SECONDS: '10' },
    );
    host = runCli(['start'], dir);
    api = (await host.waitFor(/listening on (http:\/\/127\.0\.0\.1:\d+\/api)/))[1] as string;
  });

  afterAll(async () => {
    if (host.child.exitCode === null) host.child.kill('SIGKILL');
    await target.close();
  });

  it('lists the functions like func start', () => {
    expect(host.output()).toContain(`health: [GET] ${api}/health`);
    expect(host.output()).toContain('dispatcher: timerTrigger (*/2 * * * * *)');
  });

  it('answers GET /api/health', async () => {
    const response = await fetch(`${api}/health`);
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ status: 'ok', version: '0.1.0', jobs: 3 });
  });

  it('runs the scheduled job on its own schedule and prints a readable line per run', async () => {
    await host.waitFor(/✔ target up 200 in \d+ ms \(1 attempt\)[\s\S]*✔ target up 200/);
    const runIds = target.requests
      .filter((r) => r.path === '/health')
      .map((r) => String(r.headers['x-pulsecheck-run']));
    expect(runIds.length).toBeGreaterThanOrEqual(2);
    for (const id of runIds) expect(id).toMatch(/^target@\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.000Z#1$/);
    expect(new Set(runIds).size).toBe(runIds.length);
  });

  it('shows jobs with their state', async () => {
    const response = await fetch(`${api}/jobs`);
    const { jobs } = (await response.json()) as { jobs: Array<{ name: string; source: string; state: { health: string } }> };
    expect(jobs.map((j) => j.name)).toEqual(['target', 'broken', 'slow']);
    expect(jobs[0]).toMatchObject({ source: 'config', state: { health: 'UP' } });
    const one = await fetch(`${api}/jobs/target`);
    expect(await one.json()).toMatchObject({ name: 'target', schedule: 'every 1s', conditions: ['[STATUS] == 200', '[BODY].status == UP'] });
  });

  it('runs a job on demand and returns the run', async () => {
    const response = await fetch(`${api}/jobs/broken/run`, { method: 'POST' });
    expect(response.status).toBe(200);
    const run = (await response.json()) as Run;
    expect(run).toMatchObject({
      job: 'broken',
      trigger: 'manual',
      status: 'down',
      success: false,
      httpStatus: 503,
      attempts: 1,
      conditions: [{ condition: '[STATUS] == 200', success: false, actual: '503' }],
      error: { kind: 'conditions', message: '[STATUS] (503) == 200' },
      location: 'local',
    });
    await host.waitFor(/✘ broken down 503 in \d+ ms \(1 attempt\): \[STATUS\] \(503\) == 200/);
  });

  it.each([
    ['GET', '/jobs/nope', 404, 'not_found'],
    ['POST', '/jobs/nope/run', 404, 'not_found'],
    ['PATCH', '/jobs/target', 405, 'method_not_allowed'],
    ['DELETE', '/jobs/target', 409, 'conflict'],
    ['GET', '/nothing-here', 404, 'not_found'],
  ])('%s %s → %i problem+json', async (method, path, status, code) => {
    const response = await fetch(`${api}${path}`, { method, headers: { 'if-match': '*' } });
    expect(response.status).toBe(status);
    expect(response.headers.get('content-type')).toContain('application/problem+json');
    expect(response.headers.get('x-content-type-options')).toBe('nosniff');
    expect(response.headers.get('cache-control')).toBe('no-store');
    expect(await response.json()).toMatchObject({ status, code });
  });

  it('shuts down gracefully on SIGTERM: the check in flight finishes and is recorded', async () => {
    const slow = fetch(`${api}/jobs/slow/run`, { method: 'POST' });
    await eventually(() => target.requests.some((r) => r.path === '/slow'), { intervalMs: 20, what: 'the slow check to reach its target' });
    host.child.kill('SIGTERM');
    await host.waitFor(/SIGTERM: stopping/);
    setTimeout(() => releaseSlow(), 500);
    const run = (await (await slow).json()) as Run;
    expect(run).toMatchObject({ job: 'slow', status: 'up' });
    expect(await host.exited).toBe(0);
    expect(host.output()).toMatch(/✔ slow up 200/);
  });
});

describe('pulsecheck start with a bad jobs file', () => {
  it('exits non-zero and names the job and the field', async () => {
    const dir = appFolder({ jobs: [{ name: 'billing', url: 'https://b.test', schedule: '0 */5 * *' }] }, { PULSECHECK_PORT: '0' });
    const cli = runCli(['start'], dir);
    expect(await cli.exited).toBe(1);
    expect(cli.errors()).toContain('jobs[0] "billing": schedule "0 */5 * *" is not NCRONTAB (expected 5 or 6 fields, got 4)');
    expect(cli.errors()).not.toMatch(/\n\s+at /); // a message, not a stack trace
  });
});
