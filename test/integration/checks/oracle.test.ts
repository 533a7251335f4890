import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Run } from '../../../src/domain/run.js';
import { startApi, type ApiHost } from '../../support/api.js';
import { startServer, type TestServer } from '../../support/servers.js';

const SECRET = 'Zq7tK2mW9xB4nR8vL3pJ';
const BODY = `${'x'.repeat(250)}${SECRET}${'y'.repeat(230)}`; // 500 characters, the secret past 200
const SHOWN = `${'x'.repeat(200)}…`;
const ALPHABET = [...new Set(`xyz${SECRET}`)];

/**
 * The value oracle over HTTP: API jobs and unsaved runs compare what the run shows, the jobs file's
 * jobs the whole body. The prober reads a real target on 127.0.0.1.
 */
describe('conditions of sandboxed runs see only what the run shows', () => {
  let target: TestServer;
  let api: ApiHost;
  const condition = `[BODY] == pat(*${SECRET}*)`;

  beforeAll(async () => {
    target = await startServer((_req, res) => res.writeHead(200, { 'content-type': 'text/plain' }).end(BODY));
    api = await startApi({ jobs: [{ name: 'fileJob', url: `${target.url}/page`, every: '1h', conditions: [condition] }] });
  });
  afterAll(async () => {
    await api?.host.stop();
    await target?.close();
  });

  const runUnsaved = async (conditions: string[]): Promise<Run> => {
    const response = await api.call('POST', '/runs', { body: { url: `${target.url}/page`, retry: { maxAttempts: 1 }, conditions } });
    expect(response.status).toBe(200);
    return (await response.json()) as Run;
  };

  it('a jobs-file job matches the marker past character 200; the run shows 200 characters', async () => {
    const run = (await (await api.call('POST', '/jobs/fileJob/run')).json()) as Run;
    expect(run).toMatchObject({ status: 'up', conditions: [{ condition, success: true, actual: SHOWN }] });
  });

  it('an unsaved run and an API job with the same condition do not', async () => {
    expect(await runUnsaved([condition])).toMatchObject({ status: 'down', conditions: [{ success: false, actual: SHOWN }] });
    const created = await api.call('POST', '/jobs', { body: { name: 'apiJob', url: `${target.url}/page`, every: '1h', retry: { maxAttempts: 1 }, conditions: [condition] } });
    expect(created.status).toBe(201);
    const run = (await (await api.call('POST', '/jobs/apiJob/run')).json()) as Run;
    expect(run).toMatchObject({ status: 'down', conditions: [{ success: false, actual: SHOWN }] });
  });

  it('pat(<what is shown><c>*) confirms no character past what is shown', async () => {
    const confirmed: string[] = [];
    for (const c of ALPHABET) {
      const run = await runUnsaved([`[BODY] == pat(${'x'.repeat(200)}${c}*)`]);
      if (run.status === 'up') confirmed.push(c);
    }
    expect(confirmed).toEqual([]);
    // What is shown is confirmed, so the probe itself works.
    expect((await runUnsaved([`[BODY] == pat(${'x'.repeat(199)}*)`])).status).toBe('up');
  });

  it('a condition over 1,000 characters is a 400 naming the field', async () => {
    const response = await api.call('POST', '/runs', { body: { url: `${target.url}/page`, conditions: ['[STATUS] == 200', `[BODY] == pat(${'a*'.repeat(500)})`] } });
    expect(response.status).toBe(400);
    const problem = (await response.json()) as { code: string; issues: Array<{ path: string; message: string }> };
    expect(problem.code).toBe('validation_failed');
    expect(problem.issues).toEqual([{ path: 'conditions[1]', message: 'conditions[1] must have at most 1000 characters' }]);
  });
});
