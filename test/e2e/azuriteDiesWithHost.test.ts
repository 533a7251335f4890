import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { isListening } from '../../src/hosts/local/azurite.js';
import { stopBudgetMs } from '../../src/hosts/local/localHost.js';
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

  /** The local host as `npm start` runs it, with its embedded Azurite on random ports (the default ones are shared). */
  async function startHost(extraEnv: Record<string, string> = {}) {
    const dir = mkdtempSync(join(tmpdir(), 'pulsecheck-azurite-kill-'));
    writeFileSync(join(dir, 'jobs.config.json'), JSON.stringify({ jobs: [] }));
    const ports = { blob: await closedPort(), queue: await closedPort(), table: await closedPort() };
    const env = { AzureWebJobsStorage: 'UseDevelopmentStorage=true', PULSECHECK_PORT: '0', PULSECHECK_TICK_SCHEDULE: NO_TICK, ...extraEnv };
    // SIGTERM as the CLI handles it: a graceful stop, then exit.
    const script = `
      const { startLocalHost } = await import(${JSON.stringify(pathToFileURL(resolve('dist/hosts/local/localHost.js')).href)});
      const host = await startLocalHost({ dir: ${JSON.stringify(dir)}, env: ${JSON.stringify(env)}, azurite: { ports: ${JSON.stringify(ports)} } });
      process.once('SIGTERM', () => host.stop().then(() => process.exit(0)));
      console.log('host ready');`;
    const host = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'pipe'], env: { PATH: process.env.PATH } });
    pids.push(host.pid as number);
    let output = '';
    host.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    host.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const exited = new Promise<number | null>((done) => host.once('exit', (code) => done(code)));
    await eventually(() => output.includes('host ready'), { timeoutMs: 20_000, what: () => `the host to start:\n${output}` });
    // The host's one child is its Azurite.
    const azuritePid = Number(execFileSync('ps', ['-o', 'pid=', '--ppid', String(host.pid)]).toString().trim().split(/\s+/)[0]);
    pids.push(azuritePid);
    return { host, ports, exited, azuritePid, output: () => output };
  }

  it('exits within a few seconds of its host being killed with SIGKILL', async () => {
    const { host, ports } = await startHost();
    expect(await isListening(ports.table)).toBe(true);

    host.kill('SIGKILL');
    await eventually(async () => !(await isListening(ports.blob)) && !(await isListening(ports.queue)) && !(await isListening(ports.table)), {
      timeoutMs: 5_000,
      intervalMs: 100,
      what: 'Azurite to close its ports',
    });
  }, 40_000);

  it.each([
    ['killed', 'SIGKILL'],
    ['hung', 'SIGSTOP'],
  ] as const)('lets its host stop on SIGTERM in time when it was %s', async (_what, signal) => {
    const { host, exited, azuritePid, output } = await startHost({ PULSECHECK_SHUTDOWN_GRACE_SECONDS: '1' });
    process.kill(azuritePid, signal);
    const sent = Date.now();
    host.kill('SIGTERM');
    const bound = stopBudgetMs(1_000) + 3_000; // the host's own bound, and room for a loaded machine
    const code = await Promise.race([exited, new Promise((done) => setTimeout(() => done('still running'), bound))]);
    expect(code, `${Date.now() - sent} ms\n${output()}`).toBe(0);
    if (signal === 'SIGSTOP') {
      // Paused, it could not notice its host is gone; resumed, it does, and exits.
      process.kill(azuritePid, 'SIGCONT');
      await eventually(() => !isAlive(azuritePid), { timeoutMs: 8_000, intervalMs: 100, what: 'the resumed Azurite to exit' });
    }
  }, 40_000);
});

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
