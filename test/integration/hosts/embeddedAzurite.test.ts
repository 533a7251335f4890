import { existsSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { isListening } from '../../../src/hosts/local/azurite.js';
import { startLocalHost } from '../../../src/hosts/local/localHost.js';
import { NO_TICK } from '../../support/api.js';
import { MemoryLogger } from '../../support/fakes.js';
import { closedPort } from '../../support/servers.js';

/**
 * `AzureWebJobsStorage=UseDevelopmentStorage=true`: the local host starts Azurite itself when nothing
 * listens on its ports, keeps the data under `.azurite/`, and stops it on exit. (Random ports here;
 * `npm start` uses 10000-10002.)
 */
describe('local host with UseDevelopmentStorage=true', () => {
  it('starts Azurite, keeps data in .azurite/ across restarts, and stops it on exit', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pulsecheck-devstorage-'));
    writeFileSync(join(dir, 'jobs.config.json'), JSON.stringify({ jobs: [] }));
    const ports = { blob: await closedPort(), queue: await closedPort(), table: await closedPort() };
    const env = { AzureWebJobsStorage: 'UseDevelopmentStorage=true', PULSECHECK_PORT: '0', PULSECHECK_TICK_SCHEDULE: NO_TICK };
    const start = () => startLocalHost({ dir, env, logger: new MemoryLogger(), azurite: { ports } });

    const first = await start();
    expect(await isListening(ports.table)).toBe(true);
    const created = await fetch(`${first.url}/jobs`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'persisted', url: 'https://x.test/', every: '1h' }),
    });
    expect(created.status).toBe(201);
    await first.stop();
    expect(await isListening(ports.table)).toBe(false);
    expect(existsSync(join(dir, '.azurite'))).toBe(true);
    expect(readdirSync(join(dir, '.azurite')).length).toBeGreaterThan(0);

    const second = await start();
    try {
      const job = await fetch(`${second.url}/jobs/persisted`);
      expect(job.status).toBe(200);
      expect(await job.json()).toMatchObject({ name: 'persisted', source: 'api' });
      const health = (await (await fetch(`${second.url}/health`)).json()) as { checks: { storage: { detail: string } } };
      expect(health.checks.storage.detail).toContain('Table Storage');
    } finally {
      await second.stop();
    }
  }, 30_000);
});
