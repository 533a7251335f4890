import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApi, type ApiHost } from '../../support/api.js';
import { eventually } from '../../support/eventually.js';
import { startServer, type TestServer } from '../../support/servers.js';

interface RunBody {
  status: string;
  maintenance?: boolean;
  attempts: number;
  error?: { kind: string; message: string };
}
interface JobBody {
  state: { health: string };
  maintenance?: { name: string; checks: string; start: string; end: string };
}

/**
 * Issue 15 item 4 end to end: a local host with maintenance windows that are open now (every minute,
 * for two minutes), a paused job, a job whose window runs checks, and a job outside any window,
 * against a real node:http target.
 */
describe('maintenance windows, end to end', () => {
  let target: TestServer;
  let api: ApiHost;

  beforeAll(async () => {
    target = await startServer((_req, res) => res.writeHead(200).end('ok'));
    api = await startApi(
      {
        maintenance: [
          { name: 'db upgrade', schedule: '* * * * *', duration: '2m', jobs: ['paused'], checks: 'pause' },
          { name: 'ops patching', schedule: '0 * * * * *', duration: '2m', tags: { team: 'ops' } },
        ],
        jobs: [
          { name: 'paused', url: `${target.url}/paused`, every: '1s' },
          { name: 'marked', url: `${target.url}/marked`, every: '1s', tags: { team: 'ops' } },
          { name: 'normal', url: `${target.url}/normal`, every: '1s' },
        ],
      },
      { PULSECHECK_TICK_SCHEDULE: '*/1 * * * * *' },
    );
  });
  afterAll(async () => {
    await api?.host.stop();
    await target?.close();
  });

  const get = async <T>(path: string) => (await (await api.call('GET', path)).json()) as T;
  const runsOf = async (job: string) => (await get<{ runs: RunBody[] }>(`/jobs/${job}/runs`)).runs;

  it('pauses the paused job (no request, skipped runs of kind maintenance), marks the runs of the other, leaves the third alone', async () => {
    await eventually(async () => (await runsOf('paused')).length >= 2 && (await runsOf('marked')).length >= 2 && (await runsOf('normal')).length >= 2, {
      timeoutMs: 15_000,
      what: 'two runs of each job',
    });
    expect(target.requests.filter((r) => r.path === '/paused')).toEqual([]);
    expect(target.requests.filter((r) => r.path === '/marked').length).toBeGreaterThanOrEqual(2);

    for (const run of await runsOf('paused')) {
      expect(run).toMatchObject({ status: 'skipped', maintenance: true, attempts: 0, error: { kind: 'maintenance' } });
      expect(run.error?.message).toContain('"db upgrade"');
    }
    for (const run of await runsOf('marked')) expect(run).toMatchObject({ status: 'up', maintenance: true });
    for (const run of await runsOf('normal')) {
      expect(run.status).toBe('up');
      expect(run.maintenance).toBeUndefined();
    }
  }, 30_000);

  it.each([
    { job: 'paused', health: 'MAINTENANCE', window: { name: 'db upgrade', checks: 'pause' } },
    { job: 'marked', health: 'MAINTENANCE', window: { name: 'ops patching', checks: 'run' } },
    { job: 'normal', health: 'UP', window: undefined },
  ])('GET /api/jobs/$job: $health, with the open window', async ({ job, health, window }) => {
    const view = await get<JobBody>(`/jobs/${job}`);
    expect(view.state.health).toBe(health);
    if (!window) return expect(view.maintenance).toBeUndefined();
    expect(view.maintenance).toMatchObject(window);
    const { start, end } = view.maintenance as { start: string; end: string };
    expect(Date.parse(end) - Date.parse(start)).toBe(120_000);
    expect(Date.parse(start)).toBeLessThanOrEqual(Date.now());
  });

  it('applies a window selecting by tags to an API job, before its first run too', async () => {
    const created = await api.call('POST', '/jobs', { body: { name: 'apiOps', url: `${target.url}/api-ops`, schedule: '0 0 0 1 1 *', tags: { team: 'ops' } } });
    expect(created.status).toBe(201);
    const view = await get<JobBody>('/jobs/apiOps');
    expect(view.maintenance).toMatchObject({ name: 'ops patching', checks: 'run' });
    expect(view.state.health).toBe('MAINTENANCE');
  });
});
