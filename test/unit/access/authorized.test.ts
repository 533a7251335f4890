import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import azure from '@azure/functions';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildDeps, type Deps } from '../../../src/composition.js';
import { loadSettings } from '../../../src/config/settings.js';
import { callerOf, clientAddress, hostAuthLevel, type AccessOptions } from '../../../src/functions/access.js';
import { hostedHttpFunctions, registry, type HttpFunction } from '../../../src/functions/registry.js';
import { MemoryLogger } from '../../support/fakes.js';
import { principalHeaders } from '../../support/principal.js';

const { HttpRequest, InvocationContext } = azure;
const TOKEN = 'metrics-token-0123456789abcdef';
const http = registry.filter((fn): fn is HttpFunction => fn.trigger === 'http');
const route = (name: string) => http.find((fn) => fn.name === name) as HttpFunction;
const request = (url: string, headers: Record<string, string> = {}, method = 'GET') => new HttpRequest({ method, url: `http://localhost/api/${url}`, headers });

/**
 * The access wrapper as the Azure entry uses it (host `azure`: the Functions host checked a key on
 * `function`-level routes), over a real app with an in-memory store.
 */
describe('authorized, in Azure', () => {
  let deps: Deps;
  const serve = async (options: Omit<AccessOptions, 'host'>, name: string, req: InstanceType<typeof HttpRequest>) => {
    const fn = hostedHttpFunctions(deps.useCases, { ...options, host: 'azure' }).find((f) => f.name === name);
    return (await fn?.handler(req, new InvocationContext())) as { status: number; headers: Record<string, string>; jsonBody: Record<string, unknown> };
  };

  beforeAll(() => {
    const dir = mkdtempSync(join(tmpdir(), 'pulsecheck-access-'));
    writeFileSync(join(dir, 'jobs.config.json'), JSON.stringify({ jobs: [{ name: 'fileJob', url: 'http://127.0.0.1:9/', every: '1h' }] }));
    const settings = loadSettings({ AzureWebJobsStorage: '', PULSECHECK_RATE_LIMIT_READS: '0', PULSECHECK_RATE_LIMIT_WRITES: '0' });
    deps = buildDeps(settings, { baseDir: dir, logger: new MemoryLogger() });
  });
  afterAll(() => deps?.close());

  const plain = { easyAuth: false, metricsToken: undefined };
  const withToken = { easyAuth: false, metricsToken: TOKEN };
  const easyAuth = { easyAuth: true, metricsToken: TOKEN };

  it.each(http.map((fn) => [fn.name, fn.role] as const))('%s (role %s): the Functions auth level follows the role and the deployment', (name, role) => {
    const fn = route(name);
    expect(hostAuthLevel(fn, plain)).toBe(role === 'anonymous' ? 'anonymous' : 'function');
    expect(hostAuthLevel(fn, withToken)).toBe(role === 'anonymous' || name === 'metrics' ? 'anonymous' : 'function');
    expect(hostAuthLevel(fn, easyAuth)).toBe('anonymous');
  });

  it('without App Service Authentication, a function-level route was reached with a valid key: admin, audited as "function key"', async () => {
    const req = new HttpRequest({ method: 'POST', url: 'http://localhost/api/jobs', headers: { 'content-type': 'application/json', ...principalHeaders('mallory', ['Pulsecheck.Reader']) }, body: { string: JSON.stringify({ name: 'byKey', url: 'https://example.com/health', every: '1h', enabled: false }) } });
    expect((await serve(plain, 'createJob', req)).status).toBe(201);
    const audit = await serve(plain, 'listAudit', request('audit'));
    expect(audit.jsonBody.entries).toEqual([expect.objectContaining({ job: 'byKey', actor: { name: 'function key', via: 'function-key' } })]);
  });

  it('GET /api/health: anonymous callers get status and version only, /api/health/detail (key) the whole report', async () => {
    const summary = await serve(plain, 'health', request('health', principalHeaders('mallory', ['Pulsecheck.Admin'])));
    expect(summary.status).toBe(200);
    expect(summary.jsonBody).toEqual({ status: 'ok', version: deps.useCases.version });
    const detail = await serve(plain, 'healthDetail', request('health/detail'));
    expect(detail.jsonBody).toMatchObject({ status: 'ok', jobs: expect.any(Number), checks: { jobsFile: { status: 'ok' } } });
  });

  it.each([
    ['the token', { authorization: `Bearer ${TOKEN}` }, 200],
    ['the token, scheme in lower case', { authorization: `bearer ${TOKEN}` }, 200],
    ['no credential', {}, 401],
    ['a wrong token of the same length', { authorization: `Bearer ${TOKEN.replace(/.$/, 'X')}` }, 401],
    ['the token as a function key', { 'x-functions-key': TOKEN }, 401],
    ['a forged principal', principalHeaders('mallory', ['Pulsecheck.Admin']), 401],
  ])('with PULSECHECK_METRICS_TOKEN, /api/metrics is anonymous to the host and the app wants the token: %s -> %i', async (_case, headers, status) => {
    const response = await serve(withToken, 'metrics', request('metrics', headers));
    expect(response.status).toBe(status);
    if (status === 401) {
      expect(response.headers['content-type']).toContain('application/problem+json');
      expect(response.headers['www-authenticate']).toBe('Bearer');
      expect(response.jsonBody).toMatchObject({ status: 401, code: 'unauthorized', detail: expect.stringContaining('metrics token') });
    }
  });

  it('the metrics token opens /api/metrics only: behind App Service Authentication it is no principal elsewhere', async () => {
    expect((await serve(easyAuth, 'metrics', request('metrics', { authorization: `Bearer ${TOKEN}` }))).status).toBe(200);
    const jobs = await serve(easyAuth, 'listJobs', request('jobs', { authorization: `Bearer ${TOKEN}` }));
    expect(jobs.status).toBe(401);
    const detail = await serve(easyAuth, 'healthDetail', request('health/detail', { authorization: `Bearer ${TOKEN}` }));
    expect(detail.status).toBe(401);
  });

  it('with App Service Authentication, keys grant nothing: roles come from the principal (401 none, 403 too low)', async () => {
    expect((await serve(easyAuth, 'listJobs', request('jobs', { 'x-functions-key': 'any' }))).status).toBe(401);
    const low = await serve(easyAuth, 'listAudit', request('audit', principalHeaders('ops', ['Pulsecheck.Operator'])));
    expect(low.status).toBe(403);
    expect(low.jsonBody).toMatchObject({ code: 'forbidden', detail: 'listAudit needs the admin role; the caller has the operator role' });
    expect((await serve(easyAuth, 'listAudit', request('audit', principalHeaders('boss', ['Pulsecheck.Admin'])))).status).toBe(200);
  });
});

describe('callerOf', () => {
  const forged = { ...principalHeaders('mallory', ['Pulsecheck.Admin']), 'x-forwarded-for': '198.51.100.7' };

  it.each<[string, AccessOptions, string, Record<string, unknown>]>([
    ['azure, no EasyAuth, anonymous route: forged principal ignored', { host: 'azure', easyAuth: false, metricsToken: undefined }, 'health', { role: 'anonymous', authenticated: false, actor: { name: 'anonymous', via: 'none' }, key: 'address:198.51.100.7' }],
    ['azure, no EasyAuth, function route: the key made it admin', { host: 'azure', easyAuth: false, metricsToken: undefined }, 'listJobs', { role: 'admin', actor: { name: 'function key', via: 'function-key' } }],
    ['local host, no EasyAuth: admin, forged principal ignored', { host: 'local', easyAuth: false, metricsToken: undefined }, 'createJob', { role: 'admin', actor: { name: 'local host', via: 'none' }, key: 'address:198.51.100.7' }],
    ['EasyAuth: the principal, keyed by its id', { host: 'azure', easyAuth: true, metricsToken: undefined }, 'health', { role: 'admin', authenticated: true, actor: { name: 'mallory@example.test', via: 'app-service-auth' }, key: 'principal:oid-mallory' }],
    ['EasyAuth on the local host: the same', { host: 'local', easyAuth: true, metricsToken: undefined }, 'health', { role: 'admin', key: 'principal:oid-mallory' }],
  ])('%s', (_case, options, name, expected) => {
    expect(callerOf(request(name, forged), route(name), options)).toMatchObject(expected);
  });

  it('with EasyAuth, a principal that does not parse is anonymous (never a 500)', () => {
    const caller = callerOf(request('jobs', { 'x-ms-client-principal': 'e30K!!', 'x-ms-client-principal-name': 'mallory' }), route('listJobs'), { host: 'azure', easyAuth: true, metricsToken: undefined });
    expect(caller).toMatchObject({ role: 'anonymous', authenticated: false, actor: { name: 'anonymous' } });
  });

  it.each([
    ['203.0.113.9', '203.0.113.9'],
    ['203.0.113.9:50123', '203.0.113.9'],
    ['10.0.0.1, 203.0.113.9:443', '203.0.113.9'],
    ['spoofed, 2001:db8::1', '2001:db8::1'],
    ['[2001:db8::1]:443', '2001:db8::1'],
    ['', 'unknown'],
  ])('the client address of x-forwarded-for "%s" is its last entry: %s', (header, address) => {
    expect(clientAddress(request('health', header ? { 'x-forwarded-for': header } : {}))).toBe(address);
  });
});
