import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemoryStore } from '../../../src/adapters/memory-store/memoryStore.js';
import { startApi, type ApiHost } from '../../support/api.js';

/**
 * Thousands of malformed requests at the API: never a 500, always problem+json, and a rejected
 * request never changes what is stored. (In-process memory store for speed; the stores themselves
 * are held to one contract, run on Azurite too.)
 */
describe('API under malformed input (fast-check)', () => {
  let api: ApiHost;
  const store = new MemoryStore();
  let etag: string;

  const snapshot = async () =>
    JSON.stringify({
      jobs: await store.listJobs(),
      audit: await store.listAudit({ limit: 1_000 }),
      runs: await store.listRuns('kept', { limit: 1_000 }),
      states: [...(await store.loadStates())],
    });

  beforeAll(async () => {
    api = await startApi({ jobs: [{ name: 'fileJob', url: 'http://127.0.0.1:9/', every: '1h', enabled: false }] }, {}, store);
    const created = await api.call('POST', '/jobs', { body: { name: 'kept', url: 'http://127.0.0.1:9/', every: '1h', enabled: false } });
    expect(created.status).toBe(201);
    etag = created.headers.get('etag') as string;
  });
  afterAll(async () => {
    await api?.host.stop();
  });

  const jsonish = fc.oneof(
    fc.jsonValue(),
    fc.record({ name: fc.string(), url: fc.oneof(fc.string(), fc.webUrl()) }, { requiredKeys: [] }),
    fc.record(
      {
        name: fc.constantFrom('kept', 'KEPT', 'fileJob', 'x', ''),
        url: fc.constantFrom('not a url', 'ftp://x', 'http://127.0.0.1:9/'),
        schedule: fc.string(),
        every: fc.oneof(fc.string(), fc.integer()),
        conditions: fc.array(fc.string(), { maxLength: 3 }),
        retry: fc.anything(),
        method: fc.string(),
        headers: fc.dictionary(fc.string(), fc.anything()),
        circuitBreaker: fc.anything(),
        timeoutSeconds: fc.oneof(fc.double(), fc.string()),
      },
      { requiredKeys: [] },
    ),
  );
  const body = fc.oneof(
    jsonish.map((value) => ({ text: JSON.stringify(value), type: 'application/json' })),
    fc.string().map((text) => ({ text, type: 'application/json' })),
    fc.tuple(fc.string(), fc.constantFrom('text/plain', 'application/xml', '', 'application/json; charset=utf-8', 'application/problem+json')).map(([text, type]) => ({ text, type })),
  );
  const segment = fc.oneof(
    fc.constantFrom('kept', 'fileJob', 'nope', '%', '%E0%A4%A', '..', '%2F', 'a%00b', 'é', ' '),
    fc.string({ maxLength: 80 }).map(encodeURIComponent),
    fc.string({ maxLength: 20 }),
  );
  const query = fc.oneof(
    fc.constant(''),
    fc.dictionary(fc.constantFrom('limit', 'cursor', 'code', 'x'), fc.oneof(fc.string(), fc.integer().map(String), fc.constantFrom('0', '-1', '1e3', 'djF6', '%ZZ'))).map(
      (params) => `?${new URLSearchParams(params).toString()}`,
    ),
    fc.string().map((text) => `?${text}`),
  );
  const request = fc.record({
    method: fc.constantFrom('GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS'),
    path: fc.oneof(
      fc.tuple(segment).map(([name]) => `/jobs/${name}`),
      fc.tuple(segment).map(([name]) => `/jobs/${name}/runs`),
      fc.tuple(segment).map(([name]) => `/jobs/${name}/run`),
      fc.constantFrom('/jobs', '/runs', '/audit', '/health', '/nothing', '/jobs//runs'),
    ),
    query,
    body: fc.option(body, { nil: undefined }),
    ifMatch: fc.option(fc.oneof(fc.string(), fc.constantFrom('*', '"stale"', 'W/"x"', '""')), { nil: undefined }),
  });

  it('answers every malformed request with a 4xx problem (never a 500) and changes nothing stored', async () => {
    const before = await snapshot();
    let rejected = 0;
    await fc.assert(
      fc.asyncProperty(request, async ({ method, path, query: qs, body: payload, ifMatch }) => {
        // A write with a valid body, no If-Match or the right one could legitimately succeed; keep
        // writes on `kept` conditional on a stale ETag so every write here must be rejected.
        const headers: Record<string, string> = { 'if-match': ifMatch === undefined || ifMatch === '*' || ifMatch === etag ? '"stale"' : ifMatch };
        if (payload) headers['content-type'] = payload.type;
        // The host, as Azure's does, takes a route with a trailing slash as the route (`/jobs/` is `/jobs`).
        const route = path.replace(/\/$/, '');
        const postsJob = method === 'POST' && (route === '/jobs' || route === '/runs');
        if (postsJob && payload?.type.startsWith('application/json')) {
          // Make creations and unsaved runs invalid for certain: an unknown field.
          payload.text = /^\s*\{/.test(payload.text) ? payload.text.replace(/^\s*\{/, '{"unknownField":1,') : payload.text;
        }
        if (route.endsWith('/run') && method === 'POST') return; // runs are not input validation
        let response: Response;
        try {
          response = await fetch(`${api.host.url}${path}${qs}`, { method, headers, ...(payload && method !== 'GET' ? { body: payload.text } : {}) });
        } catch (error) {
          // fetch itself refuses some methods/bodies (e.g. a body on GET); nothing reached the API.
          if (error instanceof TypeError) return;
          throw error;
        }
        const text = await response.text();
        expect(response.status, `${method} ${path}${qs} → ${response.status} ${text}`).toBeLessThan(500);
        if (response.status >= 400) {
          rejected++;
          expect(response.headers.get('content-type')).toContain('application/problem+json');
          const problem = JSON.parse(text) as { code: string; detail: string };
          expect(problem.code).toMatch(/^[a-z_]+$/);
          expect(problem.detail).not.toMatch(/\n\s+at /);
        }
      }),
      { numRuns: 2_500, seed: Number(process.env.FC_SEED ?? Date.now() % 1_000_000) },
    );
    expect(rejected).toBeGreaterThan(1_000);
    expect(await snapshot()).toBe(before);
  }, 120_000);
});
