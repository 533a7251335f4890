import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApi, type ApiHost } from '../../support/api.js';
import { startServer, type TestServer } from '../../support/servers.js';

interface Problem {
  status: number;
  code: string;
  issues?: Array<{ path: string; message: string }>;
}

interface Figures {
  job: string;
  window: string | null;
  from: string;
  to: string;
  bucket: string;
  noDataMs: number;
  up: number;
  degraded: number;
  down: number;
  maintenance: number;
  uptimePct: number | null;
  p50Ms: number | null;
  p95Ms: number | null;
  incidents: number;
  incidentMs: number;
}

/**
 * `GET /api/sla` and `GET /api/jobs/{name}/stats` over HTTP on the local host (memory store), with
 * runs recorded against a real target: `steady` always answers 200, `flaky` 200, 200, 503, 503, 200, 200.
 */
describe('SLA and trends over HTTP', () => {
  let target: TestServer;
  let api: ApiHost;
  const flaky = [200, 200, 503, 503, 200, 200];

  const rejected = async (path: string, param: string) => {
    const response = await api.call('GET', path);
    expect(response.status, path).toBe(400);
    expect(response.headers.get('content-type')).toContain('application/problem+json');
    const body = (await response.json()) as Problem;
    expect(body.code).toBe('validation_failed');
    expect(body.issues?.map((i) => i.path), path).toEqual([param]);
    return body;
  };
  const sla = async (query: string) => {
    const response = await api.call('GET', `/sla${query}`);
    expect(response.status, query).toBe(200);
    return (await response.json()) as { window: string | null; timeZone: string; jobs: Figures[] };
  };

  beforeAll(async () => {
    let next = 0;
    target = await startServer((req, res) => res.writeHead(req.url === '/flaky' ? (flaky[next++] ?? 200) : 200).end('ok'));
    api = await startApi({
      jobs: [
        { name: 'steady', url: `${target.url}/steady`, every: '1h' },
        { name: 'flaky', url: `${target.url}/flaky`, every: '1h', retry: { maxAttempts: 1 } },
        { name: 'idle', url: `${target.url}/idle`, every: '1h', enabled: false },
      ],
    });
    for (let i = 0; i < 3; i++) expect((await api.call('POST', '/jobs/steady/run')).status).toBe(200);
    const statuses = [];
    for (let i = 0; i < flaky.length; i++) statuses.push(((await (await api.call('POST', '/jobs/flaky/run')).json()) as { status: string }).status);
    expect(statuses).toEqual(['up', 'up', 'down', 'down', 'up', 'up']);
  });
  afterAll(async () => {
    await api?.host.stop();
    await target?.close();
  });

  it('GET /api/sla (default 30d): every job by name, uptime = good ÷ (good + bad) rounded down, percentiles, incidents', async () => {
    const body = await sla('');
    expect(body.window).toBe('30d');
    expect(body.timeZone).toBe('UTC');
    expect(body.jobs.map((j) => j.job)).toEqual(['flaky', 'idle', 'steady']);
    const [flakyJob, idle, steady] = body.jobs as [Figures, Figures, Figures];
    // 4 good of 6: 66.6666… % shown as 66.666 (never rounded up).
    expect(flakyJob).toMatchObject({ window: '30d', bucket: 'day', up: 4, down: 2, degraded: 0, maintenance: 0, uptimePct: 66.666, incidents: 1 });
    expect(flakyJob.incidentMs).toBeGreaterThan(0);
    expect(flakyJob.p50Ms).toBeGreaterThan(0);
    expect(flakyJob.p95Ms).toBeGreaterThanOrEqual(flakyJob.p50Ms as number);
    expect(steady).toMatchObject({ up: 3, down: 0, uptimePct: 100, incidents: 0, incidentMs: 0 });
    // No run: no uptime, and the whole window is no data (29 whole days and today so far).
    expect(idle).toMatchObject({ up: 0, uptimePct: null, p50Ms: null, p95Ms: null });
    expect(idle.noDataMs).toBeGreaterThanOrEqual(29 * 86_400_000);
    expect(steady.noDataMs).toBeGreaterThanOrEqual(29 * 86_400_000);
    expect(steady.noDataMs).toBeLessThan(idle.noDataMs);
  });

  it.each(['1d', '7d', '30d', '90d'])('window=%s counts the same runs (hours up to 7d, days beyond)', async (window) => {
    const { jobs } = await sla(`?window=${window}&job=FLAKY`);
    expect(jobs).toHaveLength(1);
    expect(jobs[0]).toMatchObject({ job: 'flaky', window, bucket: ['1d', '7d'].includes(window) ? 'hour' : 'day', up: 4, down: 2, uptimePct: 66.666 });
    expect(Date.parse(jobs[0]?.to as string) - Date.parse(jobs[0]?.from as string)).toBeLessThanOrEqual(Number(window.slice(0, -1)) * 86_400_000);
  });

  it('from and to instead of a window: the buckets holding them', async () => {
    const now = Date.now();
    const from = new Date(now - 2 * 3_600_000).toISOString();
    const { window, jobs } = await sla(`?job=steady&from=${from}&to=${new Date(now + 60_000).toISOString()}&code=ignored-function-key`);
    expect(window).toBeNull();
    expect(jobs[0]).toMatchObject({ job: 'steady', window: null, bucket: 'hour', up: 3, from: new Date(Math.floor((now - 2 * 3_600_000) / 3_600_000) * 3_600_000).toISOString() });
    const before = await sla(`?job=steady&from=2026-01-01T00:00:00Z&to=2026-01-02T00:00:00Z`);
    expect(before.jobs[0]).toMatchObject({ up: 0, uptimePct: null, noDataMs: 86_400_000 });
  });

  it('Accept: text/csv answers CSV: a header row, then a row per job', async () => {
    const response = await api.call('GET', '/sla?window=7d', { headers: { accept: 'text/csv' } });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/csv; charset=utf-8/);
    const lines = (await response.text()).split('\r\n');
    expect(lines[0]).toBe('job,from,to,uptimePct,up,degraded,down,maintenance,noDataMs,p50Ms,p95Ms,incidents,incidentMs');
    expect(lines).toHaveLength(5); // three jobs and the empty string after the last CRLF
    expect(lines[1]).toMatch(/^flaky,[^,]+Z,[^,]+Z,66\.666,4,0,2,0,\d+,[\d.]+,[\d.]+,1,\d+$/);
    expect(lines[2]).toMatch(/^idle,[^,]+,[^,]+,,0,0,0,0,\d+,,,0,0$/);
    expect(lines[4]).toBe('');
  });

  it('rejects a bad query with a 400 naming the parameter; an unknown job is a 404', async () => {
    await rejected('/sla?window=2d', 'window');
    await rejected('/sla?window=1d&from=2026-11-01T00:00:00Z', 'window');
    await rejected('/sla?from=yesterday', 'from');
    await rejected('/sla?to=2026-13-01T00:00:00Z', 'to');
    await rejected('/sla?from=2026-11-02T00:00:00Z&to=2026-11-01T00:00:00Z', 'to');
    await rejected('/sla?from=2020-01-01T00:00:00Z&to=2026-01-01T00:00:00Z', 'from');
    await rejected('/sla?job=a%2Fb', 'job');
    const unknown = await api.call('GET', '/sla?job=nope');
    expect(unknown.status).toBe(404);
    expect(((await unknown.json()) as Problem).code).toBe('not_found');
  });

  it('GET /api/jobs/{name}/stats: the rollups as a series, oldest first, in days (default 30) or hours', async () => {
    const days = await api.call('GET', '/jobs/Flaky/stats');
    expect(days.status).toBe(200);
    const daily = (await days.json()) as { job: string; bucket: string; timeZone: string; series: Array<Figures & { start: string; end: string; noData: boolean }> };
    expect(daily).toMatchObject({ job: 'flaky', bucket: 'day', timeZone: 'UTC' });
    expect(daily.series).toHaveLength(30);
    expect(daily.series.slice(0, -1).every((e) => e.noData && e.uptimePct === null)).toBe(true);
    expect(daily.series.at(-1)).toMatchObject({ noData: false, up: 4, down: 2, uptimePct: 66.666, incidents: 1 });
    expect(daily.series.map((e) => e.start)).toEqual([...daily.series.map((e) => e.start)].sort());

    const hourly = (await (await api.call('GET', '/jobs/steady/stats?window=2d&bucket=1h')).json()) as { bucket: string; series: Array<{ start: string; end: string; up: number }> };
    expect(hourly.bucket).toBe('hour');
    expect(hourly.series).toHaveLength(48);
    expect(hourly.series.reduce((sum, e) => sum + e.up, 0)).toBe(3);
    const last = hourly.series.at(-1) as { start: string; end: string };
    expect(Date.parse(last.end) - Date.parse(last.start)).toBe(3_600_000);
  });

  it('GET /api/jobs/{name}/stats rejects a bad window or bucket (400 naming it) and an unknown job (404)', async () => {
    await rejected('/jobs/flaky/stats?bucket=5m', 'bucket');
    await rejected('/jobs/flaky/stats?window=0d', 'window');
    await rejected('/jobs/flaky/stats?window=401d', 'window');
    await rejected('/jobs/flaky/stats?window=1w', 'window');
    await rejected('/jobs/flaky/stats?window=40d&bucket=1h', 'window');
    expect((await api.call('GET', '/jobs/nope/stats')).status).toBe(404);
    await rejected('/jobs/a%25b/stats', 'name');
  });
});
