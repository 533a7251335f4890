import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { MemoryStore } from '../../../src/adapters/memory-store/memoryStore.js';
import { buildDeps, type Deps } from '../../../src/composition.js';
import { parseApiJob } from '../../../src/config/apiJob.js';
import { loadSettings } from '../../../src/config/settings.js';
import { MemoryLogger } from '../../support/fakes.js';
import { appFolder } from '../../support/host.js';
import { sleep, startServer, type TestServer } from '../../support/servers.js';

/** Issue 10: API jobs and unsaved runs cannot starve the jobs file's checks of the bulkhead. */
describe('the API share of the bulkhead', () => {
  const servers: TestServer[] = [];
  let deps: Deps | undefined;
  afterEach(async () => {
    await deps?.useCases.lifecycle.shutdown(0);
    await deps?.close();
    await Promise.all(servers.splice(0).map((server) => server.close()));
  });

  it('with the API share saturated by targets that never answer, a jobs-file job still runs at once', async () => {
    const silent = await startServer(() => undefined);
    const answering = await startServer((_req, res) => res.writeHead(200).end('ok'));
    servers.push(silent, answering);
    const dir = appFolder({ jobs: [{ name: 'fileJob', url: `${answering.url}/health`, every: '1h' }] });
    const env = {
      PULSECHECK_JOBS_FILE: join(dir, 'jobs.config.json'),
      // A quarter of 2 is 1 for the API: two hanging API runs would fill a shared bulkhead of 2.
      PULSECHECK_MAX_CONCURRENCY: '2',
      // The target guard (issue 10) blocks loopback targets unless allowed.
      PULSECHECK_ALLOWED_NETWORKS: '127.0.0.0/8',
    };
    const settings = loadSettings(env);
    expect(settings.apiMaxConcurrency).toBe(1);
    deps = buildDeps(settings, { env, logger: new MemoryLogger(), store: new MemoryStore() });
    const { admin, manualRuns, lifecycle, compileApiJob } = deps.useCases;
    const compile = (definition: Record<string, unknown>) => parseApiJob(definition, {}, compileApiJob);

    const hanging = { url: `${silent.url}/hang`, timeoutSeconds: 120, retry: { maxAttempts: 1 }, circuitBreaker: false };
    const created = await admin.create(compile({ name: 'apiHang', every: '1h', ...hanging }), { name: 'test', via: 'none' });
    expect(created.source).toBe('api');
    const api = [manualRuns.runNow('apiHang'), manualRuns.runUnsaved(compile({ name: 'unsaved', ...hanging })), manualRuns.runUnsaved(compile({ name: 'queued', ...hanging }))];
    while (silent.requests.length < 1) await sleep(10);
    await sleep(100);

    const run = await Promise.race([manualRuns.runNow('fileJob'), sleep(3_000).then(() => 'still waiting after 3 s')]);
    expect(run).toMatchObject({ status: 'up', httpStatus: 200 });
    // The API share (1) was full all along: the other API runs still wait in its queue.
    expect(silent.requests).toHaveLength(1);
    await lifecycle.shutdown(0);
    expect((await Promise.all(api)).map((r) => r.error?.kind)).toEqual(['aborted', 'aborted', 'aborted']);
  });
});
