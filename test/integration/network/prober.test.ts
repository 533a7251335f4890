import type { ServerResponse } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { UndiciOAuth2Client } from '../../../src/adapters/oauth2-client/oauth2Client.js';
import { UndiciProber } from '../../../src/adapters/undici-prober/prober.js';
import type { ProbeRequest } from '../../../src/app/ports/index.js';
import { buildDeps } from '../../../src/composition.js';
import { loadSettings } from '../../../src/config/settings.js';
import { networkPolicy, type NetworkPolicy } from '../../../src/domain/network.js';
import { selfSignedCertificate } from '../../support/certs.js';
import { MemoryLogger } from '../../support/fakes.js';
import { job } from '../../support/jobs.js';
import { LOOPBACK_ALLOWED } from '../../support/network.js';
import { startServer, type TestServer } from '../../support/servers.js';

const LOOPBACK = '127.0.0.1 is loopback, which PULSECHECK_ALLOWED_NETWORKS does not allow';
const never = () => new AbortController().signal;
const probe = (url: string, extra: Partial<ProbeRequest> = {}): ProbeRequest => ({
  url,
  method: 'GET',
  headers: {},
  readBody: true,
  insecureSkipVerify: false,
  runId: 'guard@2026-01-01T00:00:00.000Z',
  attempt: 1,
  ...extra,
});

describe('the target guard at connect time, against real servers on 127.0.0.1', () => {
  const servers: TestServer[] = [];
  const closing: Array<{ close(): Promise<void> }> = [];
  const serve = async (...args: Parameters<typeof startServer>) => {
    const server = await startServer(...args);
    servers.push(server);
    return server;
  };
  const prober = (policy?: NetworkPolicy) => {
    const built = new UndiciProber(policy ? { networkPolicy: policy } : {});
    closing.push(built);
    return built;
  };
  const oauth2 = (policy?: NetworkPolicy) => {
    const built = new UndiciOAuth2Client(policy ? { networkPolicy: policy } : {});
    closing.push(built);
    return built;
  };
  afterEach(async () => {
    await Promise.all([...servers.splice(0), ...closing.splice(0)].map((s) => s.close()));
  });

  describe('the prober', () => {
    it('refuses 127.0.0.1 by default, before any byte reaches it, and connects when the policy allows loopback', async () => {
      const server = await serve((_req, res) => res.end('secret page'));
      const refused = await prober().probe(probe(`${server.url}/`), never());
      expect(refused).toMatchObject({ type: 'failure', kind: 'blocked-target', message: LOOPBACK });
      expect(JSON.stringify(refused)).not.toContain('secret page');
      expect(server.requests).toHaveLength(0);

      const allowed = await prober(LOOPBACK_ALLOWED).probe(probe(`${server.url}/`), never());
      expect(allowed).toMatchObject({ type: 'response', status: 200, body: 'secret page' });
    });

    it.each([
      ['decimal', (port: number) => `http://2130706433:${port}/`],
      ['IPv4-mapped IPv6', (port: number) => `http://[::ffff:127.0.0.1]:${port}/`],
    ])('refuses a %s literal of loopback (no lookup happens for it)', async (_form, url) => {
      const server = await serve((_req, res) => res.end('ok'));
      const refused = await prober().probe(probe(url(server.port)), never());
      expect(refused).toMatchObject({ type: 'failure', kind: 'blocked-target', message: expect.stringMatching(/is loopback/) });
      expect(server.requests).toHaveLength(0);
    });

    it('refuses a host name that resolves to loopback (localhost), naming both', async () => {
      const server = await serve((_req, res) => res.end('ok'));
      const refused = await prober().probe(probe(`http://localhost:${server.port}/`), never());
      expect(refused).toMatchObject({ type: 'failure', kind: 'blocked-target' });
      if (refused.type === 'failure') expect(refused.message).toMatch(/^localhost \((127\.0\.0\.1|::1)\) is loopback, which PULSECHECK_ALLOWED_NETWORKS does not allow$/);
      expect(server.requests).toHaveLength(0);

      const allowed = await prober(LOOPBACK_ALLOWED).probe(probe(`http://localhost:${server.port}/`), never());
      expect(allowed).toMatchObject({ type: 'response', status: 200 });
    });

    it('guards HTTPS connections too (the lookup is given to tls.connect)', async () => {
      const certificate = await selfSignedCertificate();
      const server = await serve((_req, res) => res.end('tls ok'), { cert: certificate.cert, key: certificate.key });
      const url = `https://localhost:${server.port}/`;
      expect(await prober().probe(probe(url, { insecureSkipVerify: true }), never())).toMatchObject({ type: 'failure', kind: 'blocked-target' });
      expect(server.requests).toHaveLength(0);
      expect(await prober(LOOPBACK_ALLOWED).probe(probe(url, { insecureSkipVerify: true }), never())).toMatchObject({ type: 'response', body: 'tls ok' });
    });

    it('lets PULSECHECK_BLOCKED_NETWORKS close an address the allowed list opens', async () => {
      const server = await serve((_req, res) => res.end('ok'));
      const closed = networkPolicy({ allowed: ['127.0.0.0/8'], blocked: ['127.0.0.1/32'] });
      expect(await prober(closed).probe(probe(`${server.url}/`), never())).toMatchObject({
        type: 'failure',
        kind: 'blocked-target',
        message: '127.0.0.1 is blocked by PULSECHECK_BLOCKED_NETWORKS',
      });
    });

    it('does not follow a redirect: a 3xx is the answer, so no hop escapes the guard', async () => {
      const hidden = await serve((_req, res) => res.end('behind the redirect'));
      const server = await serve((_req, res) => res.writeHead(302, { location: `${hidden.url}/` }).end());
      const answer = await prober(LOOPBACK_ALLOWED).probe(probe(`${server.url}/`), never());
      expect(answer).toMatchObject({ type: 'response', status: 302 });
      expect(hidden.requests).toHaveLength(0);
    });
  });

  describe('a run refused by the guard', () => {
    it('is error / blocked-target: one attempt (never retried), never down, and the breaker does not count it', async () => {
      const server = await serve((_req, res) => res.end('ok'));
      const guarded = job({ url: `${server.url}/`, every: '1h', retry: { maxAttempts: 3 }, circuitBreaker: { failureThreshold: 2, halfOpenAfterSeconds: 60 } });
      const deps = buildDeps(loadSettings({ PULSECHECK_LOG_LEVEL: 'silent' }), {
        logger: new MemoryLogger(),
        configSource: { list: async () => [guarded], health: () => ({ status: 'ok', detail: 'test' }), close: () => undefined },
      });
      try {
        for (let i = 0; i < 3; i++) {
          expect(await deps.useCases.manualRuns.runNow('target')).toMatchObject({
            status: 'error',
            success: false,
            attempts: 1,
            httpStatus: null,
            conditions: [],
            error: { kind: 'blocked-target', message: LOOPBACK },
          });
        }
        expect(server.requests).toHaveLength(0);
      } finally {
        await deps.close();
      }
    });
  });

  describe('the OAuth2 client', () => {
    const grant = (tokenUrl: string) => ({ tokenUrl, clientId: 'pulsecheck', clientSecret: 'client-secret-value' });

    it('refuses a loopback tokenUrl by default, and the secret never leaves the app', async () => {
      const server = await serve((_req, res) => res.end('{"access_token":"t"}'));
      for (const url of [`${server.url}/token`, `http://localhost:${server.port}/token`, `http://[::ffff:7f00:1]:${server.port}/token`]) {
        const result = await oauth2().clientCredentials(grant(url), never());
        expect(result).toMatchObject({ ok: false, blocked: true, message: expect.stringMatching(/is loopback( \(it embeds 127\.0\.0\.1\))?, which PULSECHECK_ALLOWED_NETWORKS does not allow$/) });
      }
      expect(server.requests).toHaveLength(0);
      expect(await oauth2(LOOPBACK_ALLOWED).clientCredentials(grant(`${server.url}/token`), never())).toMatchObject({ ok: true, token: { token: 't' } });
    });

    it('stops reading an endless token response at 64 KiB and fails the grant', async () => {
      let written = 0;
      let closed = false;
      const server = await serve((_req, res) => {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.on('close', () => (closed = true));
        endless(res, (bytes) => (written += bytes));
      });
      const before = process.memoryUsage().rss;
      const started = performance.now();
      const result = await oauth2(LOOPBACK_ALLOWED).clientCredentials(grant(`${server.url}/token`), AbortSignal.timeout(10_000));
      expect(result).toEqual({ ok: false, message: 'the token endpoint answered 200 with more than 65536 bytes; a token response is a small JSON object' });
      expect(performance.now() - started).toBeLessThan(5_000);
      await waitFor(() => closed);
      // What the server got written before the connection closed: the client's 64 KiB plus what
      // the sockets' buffers hold, not the endless stream (today's client read 200 MB whole).
      expect(written).toBeLessThan(16 * 1024 * 1024);
      expect(process.memoryUsage().rss - before).toBeLessThan(64 * 1024 * 1024);
    });

    it('refuses a declared 200 MB token response without reading it', async () => {
      let written = 0;
      const server = await serve((_req, res) => {
        res.writeHead(200, { 'content-type': 'application/json', 'content-length': String(200 * 1024 * 1024) });
        endless(res, (bytes) => (written += bytes));
      });
      const result = await oauth2(LOOPBACK_ALLOWED).clientCredentials(grant(`${server.url}/token`), AbortSignal.timeout(10_000));
      expect(result).toMatchObject({ ok: false, message: expect.stringContaining('more than 65536 bytes') });
      expect(written).toBeLessThan(16 * 1024 * 1024);
    });
  });
});

/** Writes 16 KiB chunks as fast as the client reads them, until the connection closes. */
function endless(res: ServerResponse, count: (bytes: number) => void): void {
  const chunk = Buffer.alloc(16 * 1024, 'a');
  const write = () => {
    while (!res.destroyed) {
      count(chunk.length);
      if (!res.write(chunk)) {
        res.once('drain', write);
        return;
      }
    }
  };
  write();
}

async function waitFor(condition: () => boolean, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('timed out waiting');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

