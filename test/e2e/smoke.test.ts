import { spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { appFolder, runCli, type RunningCli } from '../support/host.js';
import { closedPort, startServer, type TestServer } from '../support/servers.js';

const SMOKE = resolve('scripts/smoke.js');

/** Runs scripts/smoke.js as the Jenkinsfile does; resolves with its exit code and output. */
function smoke(args: string[], env: Record<string, string> = {}): Promise<{ code: number | null; out: string; err: string }> {
  return new Promise((done) => {
    const child = spawn(process.execPath, [SMOKE, ...args], { env: { PATH: process.env.PATH, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
    child.on('exit', (code) => done({ code, out, err }));
  });
}

/** The pipeline's smoke test against the local host, which answers like a deployed app. */
describe('scripts/smoke.js against a running Pulsecheck', () => {
  let target: TestServer;
  let host: RunningCli;
  let site: string;

  beforeAll(async () => {
    target = await startServer((req, res) => res.writeHead(req.url === '/down' ? 503 : 200).end('ok'));
    const dir = appFolder(
      {
        jobs: [
          { name: 'canary', url: `${target.url}/up`, every: '1h' },
          { name: 'broken', url: `${target.url}/down`, every: '1h', retry: { maxAttempts: 1 } },
        ],
      },
      { PULSECHECK_PORT: '0', PULSECHECK_LOG_LEVEL: 'warn' },
    );
    host = runCli(['start'], dir);
    site = (await host.waitFor(/listening on (http:\/\/127\.0\.0\.1:\d+)\/api/))[1] as string;
  });

  afterAll(async () => {
    if (host.child.exitCode === null) host.child.kill('SIGKILL');
    await target.close();
  });

  it('passes when health answers with the expected version and the canary is up', async () => {
    const result = await smoke([site, '--expect-version', '0.1.0', '--job', 'canary']);
    expect(result.err).toBe('');
    expect(result.code).toBe(0);
    expect(result.out).toMatch(/health ok, version 0\.1\.0, 2 jobs/);
    expect(result.out).toMatch(/canary canary up: HTTP 200 in \d+ ms \(1 attempt\)/);
    expect(target.requests.filter((r) => r.path === '/up')).toHaveLength(1);
  });

  it('fails, naming the reason, when the canary is down', async () => {
    const result = await smoke([site, '--job', 'broken']);
    expect(result.code).toBe(1);
    expect(result.err).toContain('canary broken is down: conditions:');
  });

  it('fails when the canary job does not exist', async () => {
    const result = await smoke([site, '--job', 'nope']);
    expect(result.code).toBe(1);
    expect(result.err).toContain('HTTP 404: job "nope" was not found');
  });

  it('keeps waiting while an older version answers, then gives up at the timeout', async () => {
    const started = Date.now();
    const result = await smoke([site, '--expect-version', '0.1.0+abc123', '--timeout', '1', '--interval', '0.2']);
    expect(result.code).toBe(1);
    expect(result.out).toContain('health not ready: version 0.1.0 (waiting for 0.1.0+abc123)');
    expect(result.err).toContain('gave up; last answer: version 0.1.0 (waiting for 0.1.0+abc123)');
    expect(Date.now() - started).toBeLessThan(10_000);
  });
});

describe('scripts/smoke.js against what a deployment looks like', () => {
  it('waits while the new container is starting (503) and sends the key in a header, never in the output', async () => {
    let healthCalls = 0;
    const site = await startServer((req, res) => {
      if (req.url === '/api/health') {
        healthCalls += 1;
        if (healthCalls < 3) return res.writeHead(503).end();
        // As in Azure: an anonymous caller gets status and version only.
        return res.writeHead(200, { 'content-type': 'application/json' }).end('{"status":"degraded","version":"1.2.3+c0ffee"}');
      }
      const authorised = req.headers['x-functions-key'] === 'k3y';
      res.writeHead(authorised ? 200 : 401, { 'content-type': 'application/json' });
      res.end(authorised ? '{"job":"canary","status":"up","httpStatus":204,"durationMs":3,"attempts":2}' : '{}');
    });
    try {
      const result = await smoke([site.url, '--expect-version', '1.2.3+c0ffee', '--job', 'canary', '--interval', '0.1'], { PULSECHECK_FUNCTION_KEY: 'k3y' });
      expect(result.err).toBe('');
      expect(result.code).toBe(0);
      expect(result.out).toContain('health not ready: HTTP 503');
      expect(result.out).toContain('health degraded, version 1.2.3+c0ffee\n');
      expect(result.out).toContain('canary canary up: HTTP 204 in 3 ms (2 attempts)');
      const run = site.requests.find((r) => r.method === 'POST');
      expect(run?.path).toBe('/api/jobs/canary/run');
      expect(result.out + result.err).not.toContain('k3y');
    } finally {
      await site.close();
    }
  });

  it('with App Service Authentication, sends PULSECHECK_ACCESS_TOKEN as a bearer token and explains a 403', async () => {
    const site = await startServer((req, res) => {
      if (req.url === '/api/health') return res.writeHead(200).end('{"status":"ok","version":"1"}');
      if (req.headers.authorization !== 'Bearer t0ken') return res.writeHead(401).end();
      return res.writeHead(403, { 'content-type': 'application/problem+json' }).end('{"detail":"runJob needs the operator role; the caller has the reader role"}');
    });
    try {
      const result = await smoke([site.url, '--job', 'canary'], { PULSECHECK_ACCESS_TOKEN: 't0ken' });
      expect(result.code).toBe(1);
      expect(result.err).toContain("HTTP 403 (the token's principal needs the Pulsecheck.Operator app role): runJob needs the operator role");
      expect(result.out + result.err).not.toContain('t0ken');
    } finally {
      await site.close();
    }
  });

  it('explains a 401: the function key is missing or wrong', async () => {
    const site = await startServer((req, res) => {
      if (req.url === '/api/health') return res.writeHead(200).end('{"status":"ok","version":"1","jobs":1}');
      return res.writeHead(401).end();
    });
    try {
      const result = await smoke([site.url, '--job', 'canary']);
      expect(result.code).toBe(1);
      expect(result.err).toContain('HTTP 401 (is PULSECHECK_FUNCTION_KEY a valid function key');
    } finally {
      await site.close();
    }
  });

  it('gives up on a site that never answers', async () => {
    const result = await smoke([`http://127.0.0.1:${await closedPort()}`, '--timeout', '0.5', '--interval', '0.1']);
    expect(result.code).toBe(1);
    expect(result.err).toContain('gave up; last answer: ECONNREFUSED');
  });

  it.each([[[]], [['not a url']], [['http://x', '--timeout', '0']], [['http://x', '--bogus']]])('rejects bad usage %j with exit 2', async (args) => {
    const result = await smoke(args);
    expect(result.code).toBe(2);
    expect(result.err).toContain('usage: node scripts/smoke.js <site-url>');
  });
});
