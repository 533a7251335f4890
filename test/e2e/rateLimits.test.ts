import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { appFolder, runCli, type RunningCli } from '../support/host.js';
import { principalHeaders } from '../support/principal.js';
import { startServer, type TestServer } from '../support/servers.js';

const READS = 3;
const WRITES = 2;

/**
 * Per-caller rate limits on the local host, with App Service Authentication on so that callers can
 * be told apart: principals by their id, anonymous callers by their address.
 */
describe('rate limits (PULSECHECK_RATE_LIMIT_READS / _WRITES)', () => {
  let target: TestServer;
  let host: RunningCli;
  let api: string;

  const call = (path: string, headers: Record<string, string>, method = 'GET', body?: unknown) =>
    fetch(`${api}${path}`, {
      method,
      headers: { ...headers, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
  const statuses = async (n: number, request: () => Promise<Response>) => {
    const out: number[] = [];
    for (let i = 0; i < n; i++) out.push((await request()).status);
    return out;
  };
  const expectTooMany = async (response: Response) => {
    expect(response.status).toBe(429);
    expect(response.headers.get('content-type')).toContain('application/problem+json');
    const seconds = Number(response.headers.get('retry-after'));
    expect(seconds).toBeGreaterThanOrEqual(1);
    expect(seconds).toBeLessThanOrEqual(60);
    expect(await response.json()).toMatchObject({ status: 429, code: 'too_many_requests', detail: expect.stringMatching(/^too many (read|write)s from this caller; retry after \d+ s$/) });
  };

  beforeAll(async () => {
    target = await startServer((_req, res) => res.writeHead(200).end('ok'));
    const dir = appFolder(
      { jobs: [{ name: 'fileJob', url: `${target.url}/up`, every: '1h' }] },
      {
        PULSECHECK_PORT: '0',
        PULSECHECK_LOG_LEVEL: 'warn',
        PULSECHECK_TICK_SCHEDULE: '0 0 0 1 1 *',
        WEBSITE_AUTH_ENABLED: 'true',
        PULSECHECK_RATE_LIMIT_READS: String(READS),
        PULSECHECK_RATE_LIMIT_WRITES: String(WRITES),
      },
    );
    host = runCli(['start'], dir);
    api = (await host.waitFor(/listening on (http:\/\/127\.0\.0\.1:\d+\/api)/))[1] as string;
  });
  afterAll(async () => {
    if (host?.child.exitCode === null) host.child.kill('SIGKILL');
    await target?.close();
  });

  it('answers 429 with Retry-After once a caller has spent its reads; its writes are counted apart', async () => {
    const alice = principalHeaders('alice', ['Pulsecheck.Operator']);
    expect(await statuses(READS, () => call('/jobs', alice))).toEqual(Array(READS).fill(200));
    await expectTooMany(await call('/jobs/fileJob', alice));
    expect(await statuses(WRITES, () => call('/jobs/fileJob/run', alice, 'POST'))).toEqual(Array(WRITES).fill(200));
    await expectTooMany(await call('/runs', alice, 'POST', { url: `${target.url}/up` }));
    // Rejected requests did not reach the target: only the WRITES runs did.
    expect(target.requests).toHaveLength(WRITES);
  });

  it('limits each caller on its own: another principal still has its budget', async () => {
    const bob = principalHeaders('bob', ['Pulsecheck.Reader']);
    expect(await statuses(READS + 1, () => call('/jobs', bob))).toEqual([...Array(READS).fill(200), 429]);
    expect((await call('/jobs', principalHeaders('carol', ['Pulsecheck.Reader']))).status).toBe(200);
  });

  it('keys anonymous callers by the address the host saw, not by an x-forwarded-for they send', async () => {
    const spoofed = (i: number) => ({ 'x-forwarded-for': `198.51.100.${i}` });
    expect(await statuses(READS, () => call('/health', spoofed(1)))).toEqual(Array(READS).fill(200));
    await expectTooMany(await call('/health', spoofed(2)));
    // Counted before the role check: refused callers cannot hammer the app either.
    expect((await call('/jobs', {})).status).toBe(429);
  });
});
