import type { IncomingMessage, ServerResponse } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Run } from '../../../src/domain/run.js';
import { startApi, type ApiHost } from '../../support/api.js';
import { eventually } from '../../support/eventually.js';
import { startServer, type TestServer } from '../../support/servers.js';

/**
 * Issue 15, item 5, end to end: the local host ticks every second against real node:http targets.
 * While `db` is down, `api` (dependsOn db) is skipped with `upstream-down` and its target is not
 * called; `quiet` (whenUpstreamDown silent) runs, marked suppressed; when `db` recovers, `api` runs again.
 */
describe('dependencies', () => {
  let target: TestServer;
  let api: ApiHost;
  let dbStatus = 200;

  const runs = async (job: string): Promise<Run[]> => {
    const response = await api.call('GET', `/jobs/${job}/runs?limit=20`);
    return ((await response.json()) as { runs: Run[] }).runs;
  };

  beforeAll(async () => {
    target = await startServer((req: IncomingMessage, res: ServerResponse) => {
      res.writeHead(req.url === '/db' ? dbStatus : 200).end('ok');
    });
    const once = { retry: { maxAttempts: 1 }, circuitBreaker: false, every: '1s' };
    api = await startApi(
      {
        jobs: [
          { name: 'db', url: `${target.url}/db`, ...once },
          { name: 'api', url: `${target.url}/api`, dependsOn: ['db'], ...once },
          { name: 'quiet', url: `${target.url}/quiet`, dependsOn: ['db'], whenUpstreamDown: 'silent', ...once },
        ],
      },
      { PULSECHECK_TICK_SCHEDULE: '*/1 * * * * *' },
    );
  });
  afterAll(async () => {
    await api?.host.stop();
    await target?.close();
  });

  it('skips the dependent while its upstream job is down, runs the silent one marked, and runs it again on recovery', async () => {
    await eventually(async () => (await runs('api')).some((run) => run.status === 'up'), { timeoutMs: 8_000, what: 'api to run while db is up' });

    dbStatus = 503;
    const skipped = await eventually(async () => (await runs('api')).find((run) => run.error?.kind === 'upstream-down'), {
      timeoutMs: 8_000,
      what: 'a skipped run of api',
    });
    expect(skipped).toMatchObject({ status: 'skipped', trigger: 'schedule', attempts: 0, error: { message: 'upstream job "db" is down' } });
    const downSince = Date.parse(skipped.startedAt);
    const silent = await eventually(async () => (await runs('quiet')).find((run) => run.suppressed !== undefined), { timeoutMs: 8_000, what: 'a silent run of quiet' });
    expect(silent).toMatchObject({ status: 'up', suppressed: { reason: 'upstream-down', upstream: ['db'] } });

    // While db stays down, api's target is not called.
    await eventually(async () => (await runs('api')).filter((run) => run.error?.kind === 'upstream-down').length >= 3, { timeoutMs: 8_000, what: 'three skipped runs' });
    expect(target.requests.filter((r) => r.path === '/api' && r.at > downSince)).toEqual([]);

    const view = (await (await api.call('GET', '/jobs/db')).json()) as { dependents?: string[]; state: { health: string } };
    expect(view).toMatchObject({ dependents: ['api', 'quiet'], state: { health: 'DOWN' } });

    dbStatus = 200;
    const recovered = await eventually(
      async () => (await runs('api')).find((run) => run.status === 'up' && Date.parse(run.startedAt) > downSince),
      { timeoutMs: 8_000, what: 'api to run again once db is up' },
    );
    expect(recovered.error).toBeUndefined();
    expect(target.requests.some((r) => r.path === '/api' && r.at > downSince)).toBe(true);
  }, 40_000);

  it('refuses an API job naming an unknown job or closing a cycle, naming the field (400)', async () => {
    const unknown = await api.call('POST', '/jobs', { body: { name: 'web', url: `${target.url}/web`, dependsOn: ['db', 'nope'] } });
    expect(unknown.status).toBe(400);
    const body = (await unknown.json()) as { issues: Array<{ path: string; message: string }> };
    expect(body.issues).toEqual([{ path: 'dependsOn[1]', message: 'dependsOn[1] "nope" is not a job' }]);

    const web = await api.call('POST', '/jobs', { body: { name: 'web', url: `${target.url}/web`, dependsOn: ['api'], onFailure: ['db'] } });
    expect(web.status).toBe(201);
    const webEtag = web.headers.get('etag') ?? '';
    const edge = await api.call('POST', '/jobs', { body: { name: 'edge', url: `${target.url}/edge`, dependsOn: ['web'] } });
    expect(edge.status).toBe(201);
    // web → edge → web
    const cycle = await api.call('PUT', '/jobs/web', { body: { url: `${target.url}/web`, dependsOn: ['edge'] }, headers: { 'if-match': webEtag } });
    expect(cycle.status).toBe(400);
    expect(((await cycle.json()) as { issues: unknown[] }).issues).toEqual([{ path: 'dependsOn', message: 'dependsOn forms a cycle: web → edge → web' }]);

    const view = (await (await api.call('GET', '/jobs/db')).json()) as { dependents?: string[] };
    expect(view.dependents).toEqual(['api', 'edge', 'quiet', 'web']);
  });
});
