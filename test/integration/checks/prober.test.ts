import { X509Certificate } from 'node:crypto';
import type { TLSSocket } from 'node:tls';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { UndiciProber } from '../../../src/adapters/undici-prober/prober.js';
import type { ProbeRequest } from '../../../src/app/ports/index.js';
import { selfSignedCertificate, type TestCertificate } from '../../support/certs.js';
import { LOOPBACK_ALLOWED } from '../../support/network.js';
import { closedPort, sleep, startServer, type TestServer } from '../../support/servers.js';

const request = (url: string, extra: Partial<ProbeRequest> = {}): ProbeRequest => ({
  url,
  method: 'GET',
  headers: { 'user-agent': 'Pulsecheck' },
  readBody: false,
  insecureSkipVerify: false,
  runId: 'target@2026-01-01T00:00:00.000Z',
  attempt: 1,
  ...extra,
});

const never = () => new AbortController().signal;

describe('UndiciProber against real servers', () => {
  let prober: UndiciProber;
  const servers: TestServer[] = [];
  const serve = async (...args: Parameters<typeof startServer>) => {
    const server = await startServer(...args);
    servers.push(server);
    return server;
  };

  beforeAll(() => {
    prober = new UndiciProber({ maxBodyBytes: 64, networkPolicy: LOOPBACK_ALLOWED });
  });
  afterEach(async () => {
    await Promise.all(servers.splice(0).map((s) => s.close()));
  });
  afterAll(async () => {
    await prober.close();
  });

  it('returns the response of a healthy target, with timings and the run header', async () => {
    const server = await serve((_req, res) => res.writeHead(200, { 'x-answer': '42' }).end('ok'));
    const attempt = await prober.probe(request(`${server.url}/health`), never());
    expect(attempt.type).toBe('response');
    if (attempt.type !== 'response') return;
    expect(attempt.status).toBe(200);
    expect(attempt.headers['x-answer']).toBe('42');
    expect(attempt.body).toBeUndefined();
    expect(attempt.timings.connect).toBeGreaterThan(0);
    expect(attempt.timings.dns).toBe(0); // an IP literal needs no lookup
    expect(attempt.timings.total).toBeGreaterThanOrEqual(attempt.timings.firstByte);
    expect(server.requests[0]?.headers['x-pulsecheck-run']).toBe('target@2026-01-01T00:00:00.000Z#1');
  });

  it('gives a repeated response header as one value, joined with commas', async () => {
    const server = await serve((_req, res) => res.writeHead(200, [['x-multi', 'a'], ['x-multi', 'b'], ['x-one', '1']]).end());
    const attempt = await prober.probe(request(server.url), never());
    expect(attempt).toMatchObject({ type: 'response', headers: { 'x-multi': 'a, b', 'x-one': '1' } });
  });

  it('reports connection phases only for the request that opened the connection', async () => {
    const server = await serve((_req, res) => res.end('ok'));
    const first = await prober.probe(request(`${server.url}/a`, { attempt: 1 }), never());
    await sleep(20); // undici frees the connection just after the body ends
    const second = await prober.probe(request(`${server.url}/b`, { attempt: 2 }), never());
    expect(first.timings.connect).toBeGreaterThan(0);
    expect(second.timings.connect).toBe(0); // keep-alive: the connection was reused
    expect(second.type).toBe('response');
  });

  it('reads the body when asked, up to the limit', async () => {
    const server = await serve((_req, res) => res.end('x'.repeat(1000)));
    const attempt = await prober.probe(request(server.url, { readBody: true }), never());
    expect(attempt.type === 'response' && attempt.body).toBe('x'.repeat(64));
  });

  it('reads a whole body within the limit as UTF-8, without its byte order mark, and a chunked one too', async () => {
    const server = await serve((req, res) => {
      if (req.url === '/chunked') {
        res.write('{"status":');
        setTimeout(() => res.end('"UP"}'), 10);
      } else res.end(Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('{"name":"é"}')]));
    });
    const whole = await prober.probe(request(server.url, { readBody: true }), never());
    expect(whole.type === 'response' && whole.body).toBe('{"name":"é"}');
    const chunked = await prober.probe(request(`${server.url}/chunked`, { readBody: true }), never());
    expect(chunked.type === 'response' && chunked.body).toBe('{"status":"UP"}');
  });

  it('discards a body it does not read, and the connection serves the next request', async () => {
    const server = await serve((_req, res) => res.end('y'.repeat(10_000)));
    const first = await prober.probe(request(`${server.url}/a`, { attempt: 1 }), never());
    await sleep(20);
    const second = await prober.probe(request(`${server.url}/b`, { attempt: 2 }), never());
    expect(first).toMatchObject({ type: 'response', status: 200 });
    expect(second).toMatchObject({ type: 'response', status: 200, timings: { connect: 0 } });
    expect(first.type === 'response' && first.body).toBeUndefined();
  });

  it('times out a response whose body stalls, and closes its connection', async () => {
    let closedByClient = false;
    const server = await serve((req, res) => {
      req.socket.on('close', () => (closedByClient = true));
      res.writeHead(200, { 'content-length': '100' }).write('partial');
    });
    const attempt = await prober.probe(request(server.url, { readBody: true }), AbortSignal.timeout(150));
    expect(attempt).toMatchObject({ type: 'failure', kind: 'timeout' });
    await sleep(50);
    expect(closedByClient).toBe(true);
  });

  it('sends method, headers and body', async () => {
    let received = '';
    const server = await serve(async (req, res) => {
      for await (const chunk of req) received += String(chunk);
      res.end();
    });
    await prober.probe(
      request(server.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"a":1}' }),
      never(),
    );
    expect(server.requests[0]?.method).toBe('POST');
    expect(server.requests[0]?.headers['content-type']).toBe('application/json');
    expect(received).toBe('{"a":1}');
  });

  it('aborts a slow request for real when the signal fires', async () => {
    let closedByClient = false;
    const server = await serve((req, res) => {
      req.socket.on('close', () => (closedByClient = true));
      setTimeout(() => res.end('late'), 5_000).unref();
    });
    const started = Date.now();
    const attempt = await prober.probe(request(server.url), AbortSignal.timeout(150));
    expect(attempt.type).toBe('failure');
    expect(attempt.type === 'failure' && attempt.kind).toBe('timeout');
    expect(Date.now() - started).toBeLessThan(2_000);
    await sleep(50);
    expect(closedByClient).toBe(true);
  });

  it('returns a 500 as a response (the policy decides what it means)', async () => {
    const server = await serve((_req, res) => res.writeHead(500).end());
    const attempt = await prober.probe(request(server.url), never());
    expect(attempt.type === 'response' && attempt.status).toBe(500);
  });

  it('classifies a connection reset', async () => {
    const server = await serve((req) => {
      req.socket.destroy();
    });
    const attempt = await prober.probe(request(server.url), never());
    expect(attempt).toMatchObject({ type: 'failure', kind: 'reset' });
  });

  it('classifies a refused connection', async () => {
    const port = await closedPort();
    const attempt = await prober.probe(request(`http://127.0.0.1:${port}/`), never());
    expect(attempt).toMatchObject({ type: 'failure', kind: 'connect' });
    expect(attempt.type === 'failure' && attempt.message).toContain('ECONNREFUSED');
  });

  describe('TLS with a self-signed certificate', () => {
    let certificate: TestCertificate;
    beforeAll(async () => {
      certificate = await selfSignedCertificate(20);
    });

    it('fails with kind tls when the certificate is not trusted', async () => {
      const server = await serve((_req, res) => res.end('ok'), certificate);
      const attempt = await prober.probe(request(server.url), never());
      expect(attempt).toMatchObject({ type: 'failure', kind: 'tls' });
    });

    it('accepts it with insecureSkipVerify and still reports its expiry', async () => {
      const server = await serve((_req, res) => res.end('ok'), certificate);
      const attempt = await prober.probe(request(server.url, { insecureSkipVerify: true }), never());
      expect(attempt.type).toBe('response');
      if (attempt.type !== 'response') return;
      expect(attempt.certificateExpiresAt).toBe(certificate.expiresAt);
      expect(attempt.timings.tls).toBeGreaterThan(0);
    });

    it('trusts it when given as a CA, and reports its expiry on resumed TLS sessions too', async () => {
      const trusting = new UndiciProber({ ca: certificate.cert, keepAliveTimeoutMs: 1, networkPolicy: LOOPBACK_ALLOWED });
      try {
        // The server closes every connection: the next one resumes the TLS session, and a resumed
        // session does not present the certificate again.
        const server = await serve((_req, res) => res.writeHead(200, { connection: 'close' }).end('ok'), certificate);
        const first = await trusting.probe(request(server.url, { attempt: 1 }), never());
        const second = await trusting.probe(request(server.url, { attempt: 2 }), never());
        expect(first.type === 'response' && first.certificateExpiresAt).toBe(certificate.expiresAt);
        expect(second.type === 'response' && second.certificateExpiresAt).toBe(certificate.expiresAt);
        expect(server.requests).toHaveLength(2);
      } finally {
        await trusting.close();
      }
    });
  });

  describe('mutual TLS', () => {
    it('presents the client certificate, with one connection pool per certificate', async () => {
      const [server, trusted, other] = await Promise.all([selfSignedCertificate(20), selfSignedCertificate(20, 'client-a'), selfSignedCertificate(20, 'client-b')]);
      const wanted = new X509Certificate(trusted.cert).fingerprint256;
      const target = await serve(
        (req, res) => {
          const socket = req.socket as TLSSocket;
          res.writeHead(socket.authorized && socket.getPeerCertificate().fingerprint256 === wanted ? 200 : 401).end();
        },
        { ...server, requestCert: true, rejectUnauthorized: false, ca: [trusted.cert] },
      );
      const client = (c: TestCertificate) => ({ cert: c.cert, key: c.key, fingerprint: new X509Certificate(c.cert).fingerprint256 });
      const status = async (extra: Partial<ProbeRequest>) => {
        const attempt = await prober.probe(request(target.url, { insecureSkipVerify: true, ...extra }), never());
        return attempt.type === 'response' ? attempt.status : attempt.kind;
      };
      expect(await status({})).toBe(401);
      expect(await status({ clientCertificate: client(trusted) })).toBe(200);
      // A kept-alive connection made with one certificate is never lent to a request for another.
      expect(await status({ clientCertificate: client(other) })).toBe(401);
      expect(await status({ clientCertificate: client(trusted) })).toBe(200);
    });
  });
});
