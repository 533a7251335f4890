import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registry } from '../../src/functions/registry.js';
import { appFolder, runCli, type RunningCli } from '../support/host.js';
import { principalHeaders } from '../support/principal.js';
import { startServer, type TestServer } from '../support/servers.js';

const TOKEN = 'metrics-token-for-tests-0123456789';
const NO_TICK = '0 0 0 1 1 *';

type Role = 'anonymous' | 'reader' | 'operator' | 'admin';

/** Callers: what App Service Authentication would say about them (or, with it off, what a client forges). */
const IDENTITIES: ReadonlyArray<{ id: string; headers: Record<string, string>; role: Role; authenticated: boolean }> = [
  { id: 'anonymous', headers: {}, role: 'anonymous', authenticated: false },
  { id: 'norole', headers: principalHeaders('norole', ['Other.App.Role']), role: 'anonymous', authenticated: true },
  { id: 'reader', headers: principalHeaders('reader', ['Pulsecheck.Reader']), role: 'reader', authenticated: true },
  { id: 'operator', headers: principalHeaders('operator', ['Pulsecheck.Operator']), role: 'operator', authenticated: true },
  { id: 'admin', headers: principalHeaders('admin', ['Pulsecheck.Admin', 'Pulsecheck.Reader']), role: 'admin', authenticated: true },
];

const headersOf = (id: string): Record<string, string> => IDENTITIES.find((i) => i.id === id)?.headers ?? {};

interface Step {
  readonly name: string;
  readonly needs: Role;
  /** Status when allowed. */
  readonly ok: number;
  request(id: string, state: Map<string, string>): { method: string; path: string; body?: unknown; headers?: Record<string, string> };
}

/** Every HTTP function, in an order where each identity's writes build on each other (create, replace, delete). */
function steps(target: string): Step[] {
  const job = (id: string) => `m-${id}`;
  return [
    { name: 'health', needs: 'anonymous', ok: 200, request: () => ({ method: 'GET', path: '/health' }) },
    { name: 'openApi', needs: 'anonymous', ok: 200, request: () => ({ method: 'GET', path: '/openapi.json' }) },
    { name: 'statusAsset', needs: 'reader', ok: 200, request: () => ({ method: 'GET', path: '/status/assets/status.css' }) },
    { name: 'statusPage', needs: 'reader', ok: 200, request: () => ({ method: 'GET', path: '/status' }) },
    { name: 'statusSummary', needs: 'reader', ok: 200, request: () => ({ method: 'GET', path: '/status/summary' }) },
    { name: 'sla', needs: 'reader', ok: 200, request: () => ({ method: 'GET', path: '/sla?window=1d' }) },
    { name: 'jobStats', needs: 'reader', ok: 200, request: () => ({ method: 'GET', path: '/jobs/fileJob/stats?window=7d&bucket=1d' }) },
    { name: 'listAlerts', needs: 'reader', ok: 200, request: () => ({ method: 'GET', path: '/alerts' }) },
    { name: 'healthDetail', needs: 'reader', ok: 200, request: () => ({ method: 'GET', path: '/health/detail' }) },
    { name: 'listJobs', needs: 'reader', ok: 200, request: () => ({ method: 'GET', path: '/jobs' }) },
    { name: 'getJob', needs: 'reader', ok: 200, request: () => ({ method: 'GET', path: '/jobs/fileJob' }) },
    { name: 'listRuns', needs: 'reader', ok: 200, request: () => ({ method: 'GET', path: '/jobs/fileJob/runs' }) },
    { name: 'metrics', needs: 'reader', ok: 200, request: () => ({ method: 'GET', path: '/metrics' }) },
    // Badges follow PULSECHECK_STATUS_PAGE: private (the default here) needs a reader.
    { name: 'stateBadge', needs: 'reader', ok: 200, request: () => ({ method: 'GET', path: '/badges/fileJob.svg' }) },
    { name: 'uptimeBadge', needs: 'reader', ok: 200, request: () => ({ method: 'GET', path: '/badges/fileJob/uptime/30d.svg' }) },
    { name: 'runJob', needs: 'operator', ok: 200, request: () => ({ method: 'POST', path: '/jobs/fileJob/run' }) },
    { name: 'runUnsaved', needs: 'operator', ok: 200, request: () => ({ method: 'POST', path: '/runs', body: { url: `${target}/up` } }) },
    { name: 'createJob', needs: 'admin', ok: 201, request: (id) => ({ method: 'POST', path: '/jobs', body: { name: job(id), url: `${target}/up`, every: '1h' } }) },
    {
      name: 'replaceJob',
      needs: 'admin',
      ok: 200,
      request: (id, state) => ({ method: 'PUT', path: `/jobs/${job(id)}`, body: { url: `${target}/up`, every: '2h' }, headers: { 'if-match': state.get('etag') ?? '"none"' } }),
    },
    { name: 'deleteJob', needs: 'admin', ok: 204, request: (id, state) => ({ method: 'DELETE', path: `/jobs/${job(id)}`, headers: { 'if-match': state.get('etag') ?? '"none"' } }) },
    { name: 'listAudit', needs: 'admin', ok: 200, request: () => ({ method: 'GET', path: '/audit' }) },
    { name: 'testChannel', needs: 'operator', ok: 200, request: () => ({ method: 'POST', path: '/channels/platform/test' }) },
    { name: 'listDeadLetters', needs: 'reader', ok: 200, request: () => ({ method: 'GET', path: '/deadletters' }) },
    // Inline mode here: an admin gets past the role check to "queue mode is off" (409).
    { name: 'retryDeadLetter', needs: 'admin', ok: 409, request: () => ({ method: 'POST', path: '/deadletters/00000000-0000-0000-0000-000000000000/retry' }) },
  ];
}

const rank: Role[] = ['anonymous', 'reader', 'operator', 'admin'];
const allows = (held: Role, needed: Role) => rank.indexOf(held) >= rank.indexOf(needed);

interface Outcome {
  status: number;
  type: string;
  body: Record<string, unknown> | string;
}

/** The role matrix end to end: every route × every caller, with App Service Authentication on and off. */
describe.each([
  ['on', true],
  ['off', false],
])('roles with App Service Authentication %s (local host)', (_label, easyAuth) => {
  let target: TestServer;
  let host: RunningCli;
  let api: string;
  const results = new Map<string, Outcome>();

  const call = async (path: string, init: { method?: string; headers?: Record<string, string>; body?: unknown } = {}): Promise<Outcome> => {
    const response = await fetch(`${api}${path}`, {
      method: init.method ?? 'GET',
      headers: { ...(init.body === undefined ? {} : { 'content-type': 'application/json' }), ...init.headers },
      ...(init.body === undefined ? {} : { body: JSON.stringify(init.body) }),
    });
    const type = response.headers.get('content-type') ?? '';
    const text = await response.text();
    return { status: response.status, type, body: type.includes('json') && text ? (JSON.parse(text) as Record<string, unknown>) : text };
  };

  beforeAll(async () => {
    target = await startServer((_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end('{"status":"UP"}'));
    const dir = appFolder(
      { channels: { platform: { type: 'slack', url: `${target.url}/slack` } }, jobs: [{ name: 'fileJob', url: `${target.url}/up`, every: '1h' }] },
      {
        PULSECHECK_PORT: '0',
        PULSECHECK_LOG_LEVEL: 'warn',
        PULSECHECK_TICK_SCHEDULE: NO_TICK,
        PULSECHECK_METRICS_TOKEN: TOKEN,
        ...(easyAuth ? { WEBSITE_AUTH_ENABLED: 'True' } : {}),
      },
    );
    host = runCli(['start'], dir);
    api = (await host.waitFor(/listening on (http:\/\/127\.0\.0\.1:\d+\/api)/))[1] as string;
    for (const identity of IDENTITIES) {
      const state = new Map<string, string>();
      for (const step of steps(target.url)) {
        const { method, path, body, headers } = step.request(identity.id, state);
        const response = await fetch(`${api}${path}`, {
          method,
          headers: { ...identity.headers, ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
          ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        });
        const etag = response.headers.get('etag');
        if (etag) state.set('etag', etag);
        const type = response.headers.get('content-type') ?? '';
        const text = await response.text();
        results.set(`${identity.id} ${step.name}`, { status: response.status, type, body: type.includes('json') && text ? (JSON.parse(text) as Record<string, unknown>) : text });
      }
    }
  }, 60_000);

  afterAll(async () => {
    if (host?.child.exitCode === null) host.child.kill('SIGKILL');
    await target?.close();
  });

  it('covers every HTTP function of the registry', () => {
    const names = registry.filter((fn) => fn.trigger === 'http').map((fn) => fn.name);
    expect(steps('http://x').map((s) => s.name).sort()).toEqual([...names].sort());
    for (const step of steps('http://x')) expect(registry.find((fn) => fn.name === step.name)).toMatchObject({ role: step.needs });
  });

  const cases = IDENTITIES.flatMap((identity) => steps('http://x').map((step) => [identity.id, step.name, identity, step] as const));
  it.each(cases)('%s → %s', (_id, _name, identity, step) => {
    const outcome = results.get(`${identity.id} ${step.name}`) as Outcome;
    // Off, client-sent principal headers are ignored: the local host, like func start, checks no
    // keys and listens on loopback only, so every caller is admin.
    const held: Role = easyAuth ? identity.role : 'admin';
    if (allows(held, step.needs)) {
      expect(outcome.status, JSON.stringify(outcome.body)).toBe(step.ok);
      return;
    }
    const status = identity.authenticated ? 403 : 401;
    expect(outcome.status).toBe(status);
    expect(outcome.type).toContain('application/problem+json');
    expect(outcome.body).toMatchObject({ status, code: status === 401 ? 'unauthorized' : 'forbidden', detail: expect.stringContaining(`needs the ${step.needs} role`) });
  });

  it('records who changed a job only as the platform vouches for it', async () => {
    const { entries } = (await call('/audit', { headers: headersOf('admin') })).body as { entries: Array<{ job: string; actor: unknown }> };
    const created = entries.filter((e) => e.job.startsWith('m-'));
    if (easyAuth) {
      expect(new Set(created.map((e) => e.job))).toEqual(new Set(['m-admin']));
      expect(created.every((e) => JSON.stringify(e.actor) === JSON.stringify({ name: 'admin@example.test', via: 'app-service-auth' }))).toBe(true);
    } else {
      // Every identity's forged principal created, changed and deleted its job: none is named.
      expect(created).toHaveLength(IDENTITIES.length * 3);
      for (const entry of created) expect(entry.actor).toEqual({ name: 'local host', via: 'none' });
    }
  });

  it('GET /api/health: status and version for anyone, the detail for a reader', async () => {
    const anonymous = await call('/health', { headers: { 'x-ms-client-principal-name': 'mallory' } });
    const reader = await call('/health', { headers: headersOf('reader') });
    expect(reader.body).toMatchObject({ status: 'ok', version: '0.1.0', jobs: expect.any(Number), checks: { jobsFile: { status: 'ok' } } });
    if (easyAuth) expect(anonymous.body).toEqual({ status: 'ok', version: '0.1.0' });
    else expect(anonymous.body).toMatchObject({ checks: { jobsFile: { status: 'ok' } } });
  });

  it('the metrics token reads /api/metrics and nothing else', async () => {
    const bearer = { authorization: `Bearer ${TOKEN}` };
    const metrics = await call('/metrics', { headers: bearer });
    expect(metrics.status).toBe(200);
    expect(metrics.body).toContain('pulsecheck_runs_total');
    if (!easyAuth) return;
    expect((await call('/metrics', { headers: { authorization: `Bearer ${TOKEN}x` } })).status).toBe(401);
    for (const [method, path] of [['GET', '/jobs'], ['GET', '/health/detail'], ['POST', '/jobs/fileJob/run'], ['GET', '/audit']] as const) {
      expect((await call(path, { method, headers: bearer })).status, `${method} ${path}`).toBe(401);
    }
  });

  it('a principal header that does not parse is anonymous, never a 500', async () => {
    const garbage = { 'x-ms-client-principal': '%%%{not base64', 'x-ms-client-principal-name': 'mallory' };
    expect((await call('/jobs', { headers: garbage })).status).toBe(easyAuth ? 401 : 200);
    expect((await call('/health', { headers: { 'x-ms-client-principal': Buffer.from('{"claims": 5}').toString('base64') } })).status).toBe(200);
  });
});
