import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Run } from '../../../src/domain/run.js';
import { startApi, type ApiHost } from '../../support/api.js';
import { startServer, type TestServer } from '../../support/servers.js';

interface Problem {
  readonly status: number;
  readonly issues?: Array<{ path: string; message: string }>;
}

/** The target guard through the API of the local host (in process, memory store). */
describe('the target guard in the API', () => {
  let target: TestServer;
  beforeAll(async () => {
    target = await startServer((_req, res) => res.end('ok'));
  });
  afterAll(async () => {
    await target?.close();
  });

  describe('with the default guard (PULSECHECK_ALLOWED_NETWORKS set to nothing, as in Azure)', () => {
    let api: ApiHost;
    beforeAll(async () => {
      api = await startApi({ jobs: [] }, { PULSECHECK_ALLOWED_NETWORKS: '', PULSECHECK_API_SECRETS_ALLOW: 'client-secret' });
    });
    afterAll(async () => {
      await api?.host.stop();
    });
    const rejected = async (method: string, path: string, body: unknown, headers: Record<string, string> = {}) => {
      const response = await api.call(method, path, { body, headers });
      expect(response.status).toBe(400);
      expect(response.headers.get('content-type')).toContain('application/problem+json');
      return ((await response.json()) as Problem).issues ?? [];
    };

    it.each([
      ['POST', '/runs', 'http://2130706433/', 'url 127.0.0.1 is loopback, which PULSECHECK_ALLOWED_NETWORKS does not allow'],
      ['POST', '/runs', 'http://[::ffff:127.0.0.1]:8080/', 'url ::ffff:7f00:1 is loopback (it embeds 127.0.0.1), which PULSECHECK_ALLOWED_NETWORKS does not allow'],
      ['POST', '/jobs', 'http://169.254.169.254/metadata/identity/oauth2/token', 'url 169.254.169.254 is link-local, which PULSECHECK_ALLOWED_NETWORKS does not allow'],
      ['POST', '/jobs', 'http://168.63.129.16/', 'url 168.63.129.16 is azure-platform, which PULSECHECK_ALLOWED_NETWORKS does not allow'],
    ])('%s /api%s with url %s is a 400 on url at once', async (method, path, url, message) => {
      const issues = await rejected(method, path, { name: 'probe', url, every: '1h' });
      expect(issues).toEqual([{ path: 'url', message: expect.stringContaining(message) }]);
      expect(issues[0]?.message).toContain('PULSECHECK_ALLOWED_NETWORKS (docs/security.md, Target guard)');
    });

    it('PUT /api/jobs/{name} with a blocked auth.tokenUrl is a 400 on auth.tokenUrl, alongside the other problems', async () => {
      const created = await api.call('POST', '/jobs', { body: { name: 'kept', url: 'https://example.com/health', every: '1h' } });
      expect(created.status).toBe(201);
      const etag = created.headers.get('etag') ?? '';
      const issues = await rejected(
        'PUT',
        '/jobs/kept',
        {
          name: 'kept',
          url: 'https://example.com/health',
          every: 'often',
          auth: { type: 'oauth2ClientCredentials', tokenUrl: 'http://0x7f000001/token', clientId: 'c', secret: 'client-secret' },
        },
        { 'if-match': etag },
      );
      expect(issues.map((issue) => issue.path).sort()).toEqual(['auth.tokenUrl', 'every']);
      expect(issues.find((issue) => issue.path === 'auth.tokenUrl')?.message).toContain('auth.tokenUrl 127.0.0.1 is loopback');
    });

    it('POST /api/runs to a name that resolves to loopback is refused at connect time: error / blocked-target, nothing sent', async () => {
      const before = target.requests.length;
      const response = await api.call('POST', '/runs', { body: { name: 'probe', url: `http://localhost:${target.port}/`, every: '1h' } });
      expect(response.status).toBe(200);
      const run = (await response.json()) as Run;
      expect(run).toMatchObject({ status: 'error', success: false, httpStatus: null, error: { kind: 'blocked-target' } });
      expect(run.error?.message).toMatch(/^localhost \((127\.0\.0\.1|::1)\) is loopback, which PULSECHECK_ALLOWED_NETWORKS does not allow$/);
      expect(target.requests.length).toBe(before);
    });
  });

  describe('with the local host default (PULSECHECK_ALLOWED_NETWORKS unset)', () => {
    let api: ApiHost;
    beforeAll(async () => {
      api = await startApi({ jobs: [] });
    });
    afterAll(async () => {
      await api?.host.stop();
    });

    it('allows loopback, so the shipped self checks work on a fresh machine', async () => {
      const response = await api.call('POST', '/runs', { body: { name: 'probe', url: `${target.url}/`, every: '1h' } });
      expect(response.status).toBe(200);
      expect(await response.json()).toMatchObject({ status: 'up', httpStatus: 200 });
      expect(api.host.deps.settings.allowedNetworks).toEqual(['127.0.0.0/8', '::1/128']);
    });

    it('still refuses link-local and 168.63.129.16', async () => {
      for (const url of ['http://169.254.169.254/', 'http://168.63.129.16/']) {
        const response = await api.call('POST', '/runs', { body: { name: 'probe', url, every: '1h' } });
        expect(response.status).toBe(400);
      }
    });
  });
});
