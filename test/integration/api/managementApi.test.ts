import SwaggerParser from '@apidevtools/swagger-parser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemoryStore } from '../../../src/adapters/memory-store/memoryStore.js';
import { registry } from '../../../src/functions/registry.js';
import type { Run } from '../../../src/domain/run.js';
import { startApi, type ApiHost } from '../../support/api.js';
import { acquireAzurite, releaseAzurite, uniquePrefix } from '../../support/azurite.js';
import { startServer, type TestServer } from '../../support/servers.js';

interface Problem {
  status: number;
  code: string;
  detail: string;
  issues?: Array<{ path: string; message: string }>;
}

/** The management API end to end over HTTP, with Table Storage on Azurite behind it. */
describe('management API on Table Storage (Azurite)', () => {
  let target: TestServer;
  let api: ApiHost;
  const job = (name: string, extra: Record<string, unknown> = {}) => ({ name, url: `${target.url}/health`, every: '1h', ...extra });
  const problem = async (response: Response, status: number, code: string): Promise<Problem> => {
    expect(response.status).toBe(status);
    expect(response.headers.get('content-type')).toContain('application/problem+json');
    const body = (await response.json()) as Problem;
    expect(body).toMatchObject({ status, code });
    return body;
  };

  beforeAll(async () => {
    target = await startServer((req, res) => res.writeHead(req.url === '/down' ? 503 : 200).end('ok'));
    const azurite = await acquireAzurite();
    api = await startApi({ jobs: [{ name: 'fileJob', url: `${target.url}/health`, every: '1h' }] }, {
      AzureWebJobsStorage: azurite.connectionString,
      PULSECHECK_TABLE_PREFIX: uniquePrefix('api'),
      // API jobs may name only the secrets listed (issue 10, scoped references).
      PULSECHECK_API_SECRETS_ALLOW: 'api-key,token',
    });
  });
  afterAll(async () => {
    await api?.host.stop();
    await releaseAzurite();
    await target?.close();
  });

  it('POST /api/jobs creates a job: 201 with Location and ETag, source api', async () => {
    const response = await api.call('POST', '/jobs', { body: job('Created', { headers: { authorization: 'Bearer s3cret', 'x-api-key': '${secret:api-key}' } }) });
    expect(response.status).toBe(201);
    expect(response.headers.get('location')).toBe('/api/jobs/Created');
    const view = (await response.json()) as { name: string; source: string; etag: string; headers: Record<string, string>; state: { health: string } };
    expect(view).toMatchObject({ name: 'Created', source: 'api', state: { health: 'UNKNOWN' } });
    expect(response.headers.get('etag')).toBe(`"${view.etag}"`);
    expect(view.headers).toEqual({ authorization: '***', 'x-api-key': '${secret:api-key}' });
    const one = await api.call('GET', '/jobs/created');
    expect(one.status).toBe(200);
    expect(one.headers.get('etag')).toBe(`"${view.etag}"`);
    const { jobs } = (await (await api.call('GET', '/jobs')).json()) as { jobs: Array<{ name: string; source: string }> };
    expect(jobs.map((j) => [j.name, j.source])).toEqual([
      ['fileJob', 'config'],
      ['Created', 'api'],
    ]);
  });

  it.each([
    ['a name already used (ignoring case)', 'CREATED', /already exists/],
    ['the name of a jobs-file job', 'FILEJOB', /jobs\.config\.json and is read-only through the API/],
  ])('POST /api/jobs with %s → 409', async (_what, name, message) => {
    const body = await problem(await api.call('POST', '/jobs', { body: job(name) }), 409, 'conflict');
    expect(body.detail).toMatch(message);
  });

  it.each([
    ['no url', { name: 'x', every: '1m' }, 'url', 'url is required'],
    ['a bad schedule', { name: 'x', url: 'https://x.test', schedule: '0 */5 * *' }, 'schedule', 'schedule "0 */5 * *" is not NCRONTAB'],
    ['a bad condition', { name: 'x', url: 'https://x.test', conditions: ['[STAUTS] == 200'] }, 'conditions[0]', 'unknown placeholder [STAUTS]'],
    ['an unknown field', { name: 'x', url: 'https://x.test', retries: 3 }, '', 'unknown field "retries"'],
    ['a bad name', { name: 'no spaces', url: 'https://x.test' }, 'name', 'name must be 1-63 letters'],
    ['an array body', [1, 2], '', 'must be an object'],
  ])('POST /api/jobs with %s → 400 naming the field', async (_what, body, path, message) => {
    const { issues } = await problem(await api.call('POST', '/jobs', { body }), 400, 'validation_failed');
    expect(issues).toContainEqual({ path, message: expect.stringContaining(message) });
  });

  it('POST /api/jobs and /api/runs report every problem at once, a broken field and the others', async () => {
    const body = { name: 'no spaces', url: 'nope', every: '5', timeoutSeconds: 'ten' };
    for (const path of ['/jobs', '/runs']) {
      const { issues } = await problem(await api.call('POST', path, { body }), 400, 'validation_failed');
      expect(issues?.map((issue) => issue.path).sort()).toEqual(['every', 'name', 'timeoutSeconds', 'url']);
      expect(issues?.find((issue) => issue.path === 'url')?.message).toBe('url "nope" is not an absolute http(s) URL');
    }
  });

  it('rejects bodies that are not JSON (400), not typed as JSON (415) or too large (413)', async () => {
    const invalid = await problem(await api.call('POST', '/jobs', { body: '{"name": ' }), 400, 'validation_failed');
    expect(invalid.detail).toContain('not valid JSON');
    await problem(await api.call('POST', '/jobs', { body: 'name=x', headers: { 'content-type': 'application/x-www-form-urlencoded' } }), 415, 'unsupported_media_type');
    await problem(await api.call('POST', '/jobs', { body: JSON.stringify({ name: 'big', url: `https://x.test/${'a'.repeat(1_100_000)}` }) }), 413, 'payload_too_large');
    await problem(await api.call('PUT', '/jobs/created', { body: 'x', headers: { 'content-type': 'text/plain', 'if-match': '*' } }), 415, 'unsupported_media_type');
    const empty = await problem(await api.call('PUT', '/jobs/created', { body: '', headers: { 'if-match': '*' } }), 400, 'validation_failed');
    expect(empty.detail).toBe('a JSON body is required');
  });

  it('PUT replaces at the ETag it was read at; a stale ETag → 412; If-Match: * replaces whatever is there', async () => {
    const first = await api.call('POST', '/jobs', { body: job('editable') });
    const etag = first.headers.get('etag') as string;
    const changed = await api.call('PUT', '/jobs/editable', { body: job('editable', { every: '5m' }), headers: { 'if-match': etag } });
    expect(changed.status).toBe(200);
    const newEtag = changed.headers.get('etag') as string;
    expect(newEtag).not.toBe(etag);
    expect(await changed.json()).toMatchObject({ schedule: 'every 5m', etag: newEtag.slice(1, -1) });
    const stale = await problem(await api.call('PUT', '/jobs/editable', { body: job('editable'), headers: { 'if-match': etag } }), 412, 'precondition_failed');
    expect(stale.detail).toContain('has changed since it was read');
    const { every } = (await (await api.call('GET', '/jobs/editable')).json()) as { every?: string };
    expect(every).toBeUndefined();
    expect(await (await api.call('GET', '/jobs/editable')).json()).toMatchObject({ schedule: 'every 5m' });
    const unconditional = await api.call('PUT', '/jobs/editable', { body: { url: `${target.url}/other`, every: '2m' }, headers: { 'if-match': '*' } });
    expect(unconditional.status).toBe(200);
    expect(await unconditional.json()).toMatchObject({ name: 'editable', schedule: 'every 2m' });
  });

  it.each([
    ['PUT', '/jobs/nope', 404, 'not_found', { url: 'https://x.test' }],
    ['PUT', '/jobs/fileJob', 409, 'conflict', { url: 'https://x.test' }],
    ['PUT', '/jobs/created', 400, 'validation_failed', { name: 'renamed', url: 'https://x.test' }],
    ['DELETE', '/jobs/nope', 404, 'not_found', undefined],
    ['DELETE', '/jobs/fileJob', 409, 'conflict', undefined],
    ['PATCH', '/jobs/created', 405, 'method_not_allowed', undefined],
    ['GET', '/jobs/nope', 404, 'not_found', undefined],
    ['GET', '/jobs/nope/runs', 404, 'not_found', undefined],
    ['POST', '/jobs/nope/run', 404, 'not_found', undefined],
  ])('%s %s → %i %s', async (method, path, status, code, body) => {
    await problem(await api.call(method, path, { headers: { 'if-match': '*' }, ...(body === undefined ? {} : { body }) }), status, code);
  });

  it.each([
    ['PUT', { url: 'https://x.test' }],
    ['DELETE', undefined],
  ])('%s /api/jobs/{name} without If-Match → 428 saying to send the ETag, and nothing changes', async (method, body) => {
    const created = await api.call('POST', '/jobs', { body: job(`unconditional${method}`) });
    const before = await (await api.call('GET', `/jobs/unconditional${method}`)).json();
    const { detail, issues } = await problem(await api.call(method, `/jobs/unconditional${method}`, body === undefined ? {} : { body }), 428, 'precondition_required');
    expect(detail).toMatch(/If-Match is required: send the ETag/);
    expect(issues?.[0]?.path).toBe('If-Match');
    expect(await (await api.call('GET', `/jobs/unconditional${method}`)).json()).toEqual(before);
    expect(created.status).toBe(201);
  });

  it('two concurrent updates with the same ETag: exactly one wins, the other gets 412', async () => {
    const etag = (await api.call('POST', '/jobs', { body: job('contested') })).headers.get('etag') as string;
    const responses = await Promise.all(
      ['1m', '2m', '3m', '4m'].map((every) => api.call('PUT', '/jobs/contested', { body: job('contested', { every }), headers: { 'if-match': etag } })),
    );
    const statuses = responses.map((r) => r.status).sort();
    expect(statuses).toEqual([200, 412, 412, 412]);
    const winner = responses.find((r) => r.status === 200) as Response;
    expect((await api.call('GET', '/jobs/contested')).headers.get('etag')).toBe(winner.headers.get('etag'));
  });

  it('DELETE needs the current ETag: stale → 412, current → 204, then 404', async () => {
    const etag = (await api.call('POST', '/jobs', { body: job('doomed') })).headers.get('etag') as string;
    await api.call('PUT', '/jobs/doomed', { body: job('doomed', { every: '2m' }), headers: { 'if-match': '*' } });
    await problem(await api.call('DELETE', '/jobs/doomed', { headers: { 'if-match': etag } }), 412, 'precondition_failed');
    const current = (await api.call('GET', '/jobs/doomed')).headers.get('etag') as string;
    const deleted = await api.call('DELETE', '/jobs/doomed', { headers: { 'if-match': current } });
    expect(deleted.status).toBe(204);
    await problem(await api.call('GET', '/jobs/doomed'), 404, 'not_found');
  });

  it('POST /api/jobs/{name}/run records a manual run; GET …/runs pages the history newest first', async () => {
    await api.call('POST', '/jobs', { body: job('paged') });
    const runs: Run[] = [];
    for (let i = 0; i < 5; i++) runs.push((await (await api.call('POST', '/jobs/paged/run')).json()) as Run);
    expect(runs.every((r) => r.trigger === 'manual' && r.status === 'up')).toBe(true);
    const first = (await (await api.call('GET', '/jobs/paged/runs?limit=2')).json()) as { runs: Run[]; nextCursor: string };
    expect(first.runs.map((r) => r.runId)).toEqual([runs[4]?.runId, runs[3]?.runId]);
    const second = (await (await api.call('GET', `/jobs/paged/runs?limit=2&cursor=${first.nextCursor}`)).json()) as { runs: Run[]; nextCursor: string };
    expect(second.runs.map((r) => r.runId)).toEqual([runs[2]?.runId, runs[1]?.runId]);
    const last = (await (await api.call('GET', `/jobs/PAGED/runs?limit=2&cursor=${second.nextCursor}`)).json()) as { runs: Run[]; nextCursor?: string };
    expect(last.runs.map((r) => r.runId)).toEqual([runs[0]?.runId]);
    expect(last.nextCursor).toBeUndefined();
    expect(await (await api.call('GET', '/jobs/paged')).json()).toMatchObject({ state: { health: 'UP', consecutiveSuccesses: 5 } });
  });

  it.each([
    ['limit=0', 'limit'],
    ['limit=1001', 'limit'],
    ['limit=ten', 'limit'],
    ['cursor=not-a-cursor', 'cursor'],
  ])('GET …/runs?%s → 400 naming %s', async (query, field) => {
    const { issues } = await problem(await api.call('GET', `/jobs/fileJob/runs?${query}`), 400, 'validation_failed');
    expect(issues?.map((i) => i.path)).toContain(field);
  });

  it('POST /api/runs runs an unsaved definition once and records nothing', async () => {
    const before = (await (await api.call('GET', '/jobs/fileJob/runs')).json()) as { runs: Run[] };
    const response = await api.call('POST', '/runs', { body: { name: 'fileJob', url: `${target.url}/down`, retry: { maxAttempts: 1 }, conditions: ['[STATUS] == 200'] } });
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ job: 'fileJob', trigger: 'manual', status: 'down', httpStatus: 503 });
    const unnamed = await api.call('POST', '/runs', { body: { url: `${target.url}/health` } });
    expect(await unnamed.json()).toMatchObject({ job: 'unsaved', status: 'up' });
    expect(await (await api.call('GET', '/jobs/fileJob/runs')).json()).toEqual(before);
    expect(await (await api.call('GET', '/jobs/fileJob')).json()).toMatchObject({ state: { health: 'UNKNOWN' } });
    const { issues } = await problem(await api.call('POST', '/runs', { body: { url: 'ftp://x.test' } }), 400, 'validation_failed');
    expect(issues?.[0]?.path).toBe('url');
  });

  it('GET /api/audit shows who changed what and when, newest first, with secrets masked', async () => {
    const principal = { 'x-ms-client-principal-name': 'alice@example.test', 'x-ms-client-principal-id': '1', 'x-ms-client-principal-idp': 'aad' };
    await api.call('POST', '/jobs', { body: job('audited', { url: `${target.url}/health?code=k3y`, headers: { cookie: 'session=1' } }), headers: principal });
    await api.call('PUT', '/jobs/audited', { body: job('audited', { every: '2m', headers: { authorization: '${secret:token}' } }), headers: { 'x-functions-key': 'k', 'if-match': '*' } });
    await api.call('DELETE', '/jobs/audited', { headers: { 'if-match': '*' } });
    const { entries } = (await (await api.call('GET', '/audit?limit=3')).json()) as { entries: Array<Record<string, unknown>> };
    // Without App Service Authentication, client-sent principal headers and keys are not believed:
    // the local host checks no keys, so every change is the local host's.
    expect(entries.map((e) => [e.action, e.job, e.actor])).toEqual([
      ['job.delete', 'audited', { name: 'local host', via: 'none' }],
      ['job.update', 'audited', { name: 'local host', via: 'none' }],
      ['job.create', 'audited', { name: 'local host', via: 'none' }],
    ]);
    const [deleted, updated, created] = entries as Array<{ at: string; before: Record<string, unknown> | null; after: Record<string, unknown> | null }>;
    expect(created?.before).toBeNull();
    expect(created?.after).toMatchObject({ url: `${target.url}/health?code=***`, headers: { cookie: '***' } });
    expect(updated?.after).toMatchObject({ every: '2m', headers: { authorization: '${secret:token}' } });
    expect(deleted?.after).toBeNull();
    expect(Date.parse(deleted?.at ?? '')).toBeGreaterThanOrEqual(Date.parse(created?.at ?? ''));
    expect(JSON.stringify(entries)).not.toMatch(/k3y|session=1/);
  });

  it('GET /api/openapi.json is valid OpenAPI 3.1 and documents every HTTP function with its errors', async () => {
    const document = (await (await api.call('GET', '/openapi.json')).json()) as { openapi: string; paths: Record<string, Record<string, { responses: Record<string, unknown> }>> };
    expect(document.openapi).toBe('3.1.0');
    await SwaggerParser.validate(structuredClone(document) as never);
    for (const fn of registry) {
      if (fn.trigger !== 'http') continue;
      for (const method of fn.methods) {
        const operation = document.paths[`/${fn.route}`]?.[method.toLowerCase()];
        expect(operation, `${method} /${fn.route}`).toBeDefined();
      }
    }
    expect(Object.keys(document.paths['/jobs/{name}']?.put?.responses ?? {}).sort()).toEqual(['200', '400', '401', '403', '404', '409', '412', '413', '415', '421', '428', '429', '500', '503']);
    // Each operation names the role the registry gives its function.
    for (const fn of registry) {
      if (fn.trigger !== 'http') continue;
      for (const method of fn.methods) {
        expect(document.paths[`/${fn.route}`]?.[method.toLowerCase()], `${method} /${fn.route}`).toMatchObject({ 'x-pulsecheck-role': fn.role });
      }
    }
  });

  it('GET /api/health reports Table Storage and the jobs file', async () => {
    const health = (await (await api.call('GET', '/health')).json()) as { checks: Record<string, { status: string; detail: string }> };
    expect(health.checks.storage).toMatchObject({ status: 'ok', detail: expect.stringContaining('Table Storage') });
    expect(health.checks.jobsFile).toMatchObject({ status: 'ok', jobs: 1 });
  });
});

describe('a fault of Pulsecheck itself', () => {
  it('is a 500 problem without internals; the log has the details', async () => {
    class BrokenAudit extends MemoryStore {
      override async listAudit(): Promise<never> {
        throw new Error('audit table exploded at 10.1.2.3 with key s3cr3t');
      }
    }
    const api = await startApi({ jobs: [] }, {}, new BrokenAudit());
    try {
      const response = await api.call('GET', '/audit');
      expect(response.status).toBe(500);
      const text = await response.text();
      expect(JSON.parse(text)).toMatchObject({ status: 500, code: 'internal', detail: 'Pulsecheck failed to handle the request; details are in its log.' });
      expect(text).not.toMatch(/10\.1\.2\.3|s3cr3t|exploded/);
      expect(JSON.stringify(api.logger.records)).toContain('audit table exploded');
    } finally {
      await api.host.stop();
    }
  });
});
