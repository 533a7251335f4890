import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemoryStore } from '../../../src/adapters/memory-store/memoryStore.js';
import type { StateStore } from '../../../src/app/ports/index.js';
import { registry } from '../../../src/functions/registry.js';
import { startApi, type ApiHost } from '../../support/api.js';

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** One request as a browser or a script could send it: any Host, any request target, raw. */
function raw(port: number, options: { method?: string; path: string; host?: string; headers?: Record<string, string>; body?: string }): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const headers = { ...(options.host === undefined ? {} : { host: options.host }), ...options.headers };
    const req = request({ host: '127.0.0.1', port, method: options.method ?? 'GET', path: options.path, headers, setHost: false, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
    });
    req.on('error', reject);
    req.end(options.body);
  });
}

/** A MemoryStore that records every call made to it. */
function recording(store: MemoryStore, calls: string[]): StateStore {
  return new Proxy(store, {
    get(target, property) {
      const value: unknown = Reflect.get(target, property, target);
      if (typeof value !== 'function') return value;
      return (...args: unknown[]) => {
        calls.push(String(property));
        return (value as (...a: unknown[]) => unknown).apply(target, args);
      };
    },
  });
}

const SECURITY = { 'x-content-type-options': 'nosniff', 'x-frame-options': 'DENY', 'content-security-policy': expect.stringContaining("frame-ancestors 'none'") };

describe('the local host: Host check, security headers, no 5xx from input', () => {
  let api: ApiHost;
  let port: number;
  const calls: string[] = [];

  beforeAll(async () => {
    api = await startApi(
      { jobs: [{ name: 'fileJob', url: 'http://127.0.0.1:9/', every: '1h', enabled: false }] },
      { WEBSITE_HOSTNAME: 'pulsecheck.test:7071' },
      recording(new MemoryStore(), calls),
    );
    port = Number(new URL(api.host.url).port);
  });
  afterAll(async () => {
    await api?.host.stop();
  });

  it('binds 127.0.0.1 by default', () => {
    expect(api.host.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/api$/);
  });

  it.each(['localhost', `localhost:${0}`, '127.0.0.1:7071', '[::1]:1', 'LOCALHOST', 'pulsecheck.test', 'pulsecheck.test:443'])('serves Host %s', async (host) => {
    const answer = await raw(port, { path: '/api/health', host });
    expect(answer.status).toBe(200);
    expect(answer.headers).toMatchObject({ ...SECURITY, 'cache-control': 'no-store' });
  });

  it.each(['evil.example', 'evil.example:7071', 'localhost.evil.example', '127.0.0.2', '[::ffff:127.0.0.1]', '0x7f000001'])(
    'refuses Host %s with 421 misdirected_request (DNS rebinding)',
    async (host) => {
      const answer = await raw(port, { path: '/api/jobs', host });
      expect(answer.status).toBe(421);
      expect(answer.headers).toMatchObject({ ...SECURITY, 'content-type': expect.stringContaining('application/problem+json') });
      expect(JSON.parse(answer.body)).toMatchObject({ status: 421, code: 'misdirected_request', title: 'Misdirected Request' });
      expect(answer.body).not.toContain('fileJob');
    },
  );

  it.each([
    ['no Host at all', { path: '/api/health' }],
    ['an empty Host', { path: '/api/health', host: '' }],
    ['a Host with a path', { path: '/api/health', host: 'localhost/api' }],
    ['a Host with user info', { path: '/api/health', host: 'me@localhost' }],
    ['a Host with a space', { path: '/api/health', host: 'local host' }],
    ['a Host with a bad port', { path: '/api/health', host: 'localhost:99999' }],
    ['a Host with a broken IPv6 address', { path: '/api/health', host: '[::1' }],
    ['an absolute request target', { path: 'http://evil.example/api/health', host: 'localhost' }],
    ['the * request target', { method: 'OPTIONS', path: '*', host: 'localhost' }],
    ['bad percent-encoding', { path: '/api/jobs/%E0%A4%A', host: 'localhost' }],
    ['a raw byte above 0x7f in the path (refused by the HTTP parser)', { path: '/api/jobs/é', host: 'localhost' }],
  ])('%s → 400 problem with the security headers, never a 500', async (_what, options) => {
    const answer = await raw(port, options);
    expect(answer.status).toBe(400);
    expect(answer.headers).toMatchObject(SECURITY);
    expect(JSON.parse(answer.body)).toMatchObject({ status: 400, code: 'validation_failed' });
  });

  it.each([
    ['a 404', 'GET', '/api/nothing', 404],
    ['a 405', 'PATCH', '/api/jobs', 405],
    ['a 200 list', 'GET', '/api/jobs', 200],
    ['a problem from a handler', 'GET', '/api/jobs/nope', 404],
  ])('%s carries the security headers and no-store', async (_what, method, path, status) => {
    const answer = await raw(port, { method, path, host: 'localhost' });
    expect(answer.status).toBe(status);
    expect(answer.headers).toMatchObject({ ...SECURITY, 'cache-control': 'no-store' });
  });

  const nameRoutes = registry.flatMap((fn) => (fn.trigger === 'http' && fn.route.includes('{name}') ? fn.methods.map((method) => [method, fn.route] as const) : []));
  const badNames = ['a%2Fb', 'a%2fb', '%25', 'a%20b', 'a.b', 'x'.repeat(64), 'y'.repeat(3_000)];

  it('checks every route with {name}', () => {
    expect(nameRoutes.map(([method, route]) => `${method} ${route}`).sort()).toEqual([
      'DELETE jobs/{name}',
      'GET badges/{name}.svg',
      'GET badges/{name}/uptime/{window}.svg',
      'GET jobs/{name}',
      'GET jobs/{name}/runs',
      'GET jobs/{name}/stats',
      'POST channels/{name}/test',
      'POST jobs/{name}/run',
      'PUT jobs/{name}',
    ]);
  });

  it.each(nameRoutes.flatMap(([method, route]) => badNames.map((name) => [method, route, name] as const)))(
    '%s %s with name %s → 400 naming name, before any storage call',
    async (method, route, name) => {
      calls.length = 0;
      const body = method === 'PUT' ? JSON.stringify({ url: 'http://127.0.0.1:9/' }) : undefined;
      const headers = { 'if-match': '*', ...(body ? { 'content-type': 'application/json' } : {}) };
      const answer = await raw(port, { method, path: `/api/${route.replace('{name}', name)}`, host: 'localhost', headers, ...(body ? { body } : {}) });
      expect(answer.status).toBe(400);
      expect(JSON.parse(answer.body)).toMatchObject({ code: 'validation_failed', issues: [{ path: 'name' }] });
      expect(calls).toEqual([]);
    },
  );

  it('a body nested 3,000 deep is a 400 naming the limit, and the host goes on serving', async () => {
    const deep = `${'['.repeat(3_000)}${']'.repeat(3_000)}`;
    for (const path of ['/jobs', '/runs']) {
      const answer = await api.call('POST', path, { body: deep });
      expect(answer.status).toBe(400);
      expect(((await answer.json()) as { detail: string }).detail).toContain('the limit is 64');
    }
    expect((await api.call('GET', '/health')).status).toBe(200);
  });

  it('PUT and DELETE without If-Match → 428 before any storage call', async () => {
    for (const method of ['PUT', 'DELETE']) {
      calls.length = 0;
      const answer = await api.call(method, '/jobs/fileJob', method === 'PUT' ? { body: { url: 'http://127.0.0.1:9/' } } : {});
      expect(answer.status).toBe(428);
      expect(answer.headers.get('x-content-type-options')).toBe('nosniff');
      expect(await answer.json()).toMatchObject({ code: 'precondition_required', detail: expect.stringContaining('send the ETag from GET') });
      expect(calls).toEqual([]);
    }
  });
});
