import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { isListening } from '../../src/hosts/local/azurite.js';
import { NO_TICK } from '../support/api.js';
import { eventually } from '../support/eventually.js';
import { closedPort } from '../support/servers.js';

/** Issue 12: the embedded Azurite must not outlive a local host killed with SIGKILL. */
describe('the embedded Azurite and a killed local host', () => {
  const pids: number[] = [];
  afterAll(() => {
    for (const pid of pids) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
  });

  it('exits within a few seconds of its host being killed with SIGKILL', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pulsecheck-azurite-kill-'));
    writeFileSync(join(dir, 'jobs.config.json'), JSON.stringify({ jobs: [] }));
    const ports = { blob: await closedPort(), queue: await closedPort(), table: await closedPort() };
    const env = { AzureWebJobsStorage: 'UseDevelopmentStorage=true', PULSECHECK_PORT: '0', PULSECHECK_TICK_SCHEDULE: NO_TICK };
    // The local host as `npm start` runs it, with Azurite on random ports (the default ones are shared).
    const script = `
      const { startLocalHost } = await import(${JSON.stringify(pathToFileURL(resolve('dist/hosts/local/localHost.js')).href)});
      await startLocalHost({ dir: ${JSON.stringify(dir)}, env: ${JSON.stringify(env)}, azurite: { ports: ${JSON.stringify(ports)} } });
      console.log('host ready');`;
    const host = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'pipe'], env: { PATH: process.env.PATH } });
    pids.push(host.pid as number);
    let output = '';
    host.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    host.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    await eventually(() => output.includes('host ready'), { timeoutMs: 20_000, what: () => `the host to start:\n${output}` });
    expect(await isListening(ports.table)).toBe(true);

    host.kill('SIGKILL');
    await eventually(async () => !(await isListening(ports.blob)) && !(await isListening(ports.queue)) && !(await isListening(ports.table)), {
      timeoutMs: 5_000,
      intervalMs: 100,
      what: 'Azurite to close its ports',
    });
  }, 40_000);
});
