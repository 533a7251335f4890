import { mkdtempSync, writeFileSync } from 'node:fs';
import Module from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import azure from '@azure/functions';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';

interface Binding {
  type: string;
  direction: string;
  [key: string]: unknown;
}
interface Registration {
  metadata: { name: string; bindings: Record<string, Binding> };
  handler: (...args: unknown[]) => unknown;
}

/**
 * The Functions worker injects `@azure/functions-core` by patching `Module.prototype.require`; this
 * test does the same, so `app.timer` / `app.http` register with a fake that captures every binding.
 */
const registrations: Registration[] = [];
const fakeCore = {
  setProgrammingModel: () => undefined,
  registerFunction: (metadata: Registration['metadata'], handler: Registration['handler']) => {
    registrations.push({ metadata, handler });
    return { dispose: () => undefined };
  },
  log: () => undefined,
};
type Require = (this: NodeJS.Module, id: string) => unknown;
const proto = Module.prototype as unknown as { require: Require };
const originalRequire = proto.require;

const dir = mkdtempSync(join(tmpdir(), 'pulsecheck-azure-'));
const jobsFile = join(dir, 'jobs.json');
const saved = { ...process.env };

const byName = (name: string) => {
  const found = registrations.find((r) => r.metadata.name === name);
  if (!found) throw new Error(`${name} was not registered`);
  return found;
};
const trigger = (name: string) => Object.values(byName(name).metadata.bindings).find((b) => b.direction === 'in');

describe('hosts/azure registers the registry with the Functions runtime', () => {
  beforeAll(async () => {
    proto.require = function (this: NodeJS.Module, id: string) {
      return id === '@azure/functions-core' ? fakeCore : originalRequire.call(this, id);
    };
    writeFileSync(jobsFile, JSON.stringify({ jobs: [{ name: 'target', url: 'http://127.0.0.1:9/', every: '1m' }] }));
    process.env.PULSECHECK_JOBS_FILE = jobsFile;
    process.env.PULSECHECK_LOG_LEVEL = 'silent';
    delete process.env.PULSECHECK_TICK_SCHEDULE;
    await import('../../../src/hosts/azure/index.js');
  });

  afterAll(() => {
    proto.require = originalRequire;
    process.env = saved;
  });

  it('registers exactly the functions of the registry', () => {
    expect(registrations.map((r) => r.metadata.name).sort()).toEqual([
      'createJob',
      'deleteJob',
      'dispatcher',
      'getJob',
      'health',
      'healthDetail',
      'jobStats',
      'listAlerts',
      'listAudit',
      'listDeadLetters',
      'listJobs',
      'listRuns',
      'metrics',
      'openApi',
      'replaceJob',
      'retention',
      'retryDeadLetter',
      'runJob',
      'runUnsaved',
      'sla',
      'stateBadge',
      'statusAsset',
      'statusPage',
      'statusSummary',
      'testChannel',
      'uptimeBadge',
    ]);
  });

  it('binds GET /api/metrics with a function key when no metrics token is set (a key of that function reaches only it)', () => {
    expect(trigger('metrics')).toMatchObject({ type: 'httpTrigger', methods: ['GET'], route: 'metrics', authLevel: 'function' });
  });

  it('binds the dispatcher timer to the default schedule when the setting is absent', () => {
    expect(trigger('dispatcher')).toMatchObject({ type: 'timerTrigger', direction: 'in', schedule: '*/10 * * * * *', useMonitor: true });
  });

  it('binds the retention timer to its default schedule (hourly at minute 17)', () => {
    expect(trigger('retention')).toMatchObject({ type: 'timerTrigger', direction: 'in', schedule: '0 17 * * * *' });
  });

  it.each([
    ['health', ['GET'], 'health', 'anonymous'],
    ['healthDetail', ['GET'], 'health/detail', 'function'],
    ['listJobs', ['GET'], 'jobs', 'function'],
    ['getJob', ['GET'], 'jobs/{name}', 'function'],
    ['runJob', ['POST'], 'jobs/{name}/run', 'function'],
    ['createJob', ['POST'], 'jobs', 'function'],
    ['replaceJob', ['PUT'], 'jobs/{name}', 'function'],
    ['deleteJob', ['DELETE'], 'jobs/{name}', 'function'],
    ['listRuns', ['GET'], 'jobs/{name}/runs', 'function'],
    ['runUnsaved', ['POST'], 'runs', 'function'],
    ['listAudit', ['GET'], 'audit', 'function'],
    ['openApi', ['GET'], 'openapi.json', 'anonymous'],
  ])('binds %s to %j %s with auth level %s and an HTTP output', (name, methods, route, authLevel) => {
    expect(trigger(name)).toMatchObject({ type: 'httpTrigger', direction: 'in', methods, route, authLevel });
    const output = Object.entries(byName(name).metadata.bindings).find(([, b]) => b.direction === 'out');
    expect(output).toEqual(['$return', expect.objectContaining({ type: 'http', direction: 'out' })]);
  });

  it('registers handlers that work: GET /api/health tells anonymous callers status and version, /health/detail key holders all', async () => {
    const request = new azure.HttpRequest({ method: 'GET', url: 'http://localhost/api/health', headers: { 'x-ms-client-principal-name': 'mallory' } });
    const response = (await byName('health').handler(request, new azure.InvocationContext())) as { status: number; jsonBody: object };
    expect(response.status).toBe(200);
    expect(response.jsonBody).toEqual({ status: 'ok', version: '0.1.0' });
    const detail = new azure.HttpRequest({ method: 'GET', url: 'http://localhost/api/health/detail' });
    const full = (await byName('healthDetail').handler(detail, new azure.InvocationContext())) as { status: number; jsonBody: object };
    expect(full.jsonBody).toMatchObject({ status: 'ok', jobs: 1 });
  });

  it('registers handlers that work: GET /api/jobs/{name} maps a missing job to a 404 problem', async () => {
    const request = new azure.HttpRequest({ method: 'GET', url: 'http://localhost/api/jobs/nope', params: { name: 'nope' } });
    const response = (await byName('getJob').handler(request, new azure.InvocationContext())) as {
      status: number;
      headers: Record<string, string>;
      jsonBody: { code: string };
    };
    expect(response.status).toBe(404);
    expect(response.headers['content-type']).toContain('application/problem+json');
    expect(response.headers).toMatchObject({ 'x-content-type-options': 'nosniff', 'x-frame-options': 'DENY', 'cache-control': 'no-store' });
    expect(response.jsonBody.code).toBe('not_found');
  });

  it.each(['a/b', 'a%2Fb', '%E0%A4%A'])('registers handlers that refuse a {name} no job can have (%s) with a 400 naming name', async (name) => {
    const request = new azure.HttpRequest({ method: 'DELETE', url: 'http://localhost/api/jobs/x', params: { name }, headers: { 'if-match': '*' } });
    const response = (await byName('deleteJob').handler(request, new azure.InvocationContext())) as {
      status: number;
      headers: Record<string, string>;
      jsonBody: { code: string; issues: Array<{ path: string }> };
    };
    expect(response.status).toBe(400);
    expect(response.jsonBody).toMatchObject({ code: 'validation_failed', issues: [{ path: 'name' }] });
    expect(response.headers['x-content-type-options']).toBe('nosniff');
  });

  it('keeps %PULSECHECK_TICK_SCHEDULE% for the host to resolve when the setting exists', async () => {
    registrations.length = 0;
    vi.resetModules();
    process.env.PULSECHECK_TICK_SCHEDULE = '*/30 * * * * *';
    await import('../../../src/hosts/azure/index.js');
    expect(trigger('dispatcher')?.schedule).toBe('%PULSECHECK_TICK_SCHEDULE%');
  });

  it('with App Service Authentication on, registers every HTTP route anonymous: Entra authenticates, the app authorises', async () => {
    registrations.length = 0;
    vi.resetModules();
    process.env.WEBSITE_AUTH_ENABLED = 'True';
    try {
      await import('../../../src/hosts/azure/index.js');
    } finally {
      delete process.env.WEBSITE_AUTH_ENABLED;
    }
    const levels = registrations.filter((r) => trigger(r.metadata.name)?.type === 'httpTrigger').map((r) => trigger(r.metadata.name)?.authLevel);
    expect(levels.length).toBeGreaterThan(10);
    expect(new Set(levels)).toEqual(new Set(['anonymous']));
    const request = new azure.HttpRequest({ method: 'GET', url: 'http://localhost/api/jobs', headers: { 'x-functions-key': 'k' } });
    expect(((await byName('listJobs').handler(request, new azure.InvocationContext())) as { status: number }).status).toBe(401);
  });

  it('throws at load time on an invalid jobs file, so the host reports it', async () => {
    registrations.length = 0;
    vi.resetModules();
    writeFileSync(jobsFile, JSON.stringify({ jobs: [{ name: 'billing', url: 'https://b.test', schedule: '0 */5 * *' }] }));
    await expect(import('../../../src/hosts/azure/index.js')).rejects.toThrow(
      'jobs[0] "billing": schedule "0 */5 * *" is not NCRONTAB (expected 5 or 6 fields, got 4)',
    );
    expect(registrations).toHaveLength(0);
  });
});
