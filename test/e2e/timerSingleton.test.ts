import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningAzurite } from '../../src/hosts/local/azurite.js';
import { acquireAzurite, releaseAzurite, uniquePrefix } from '../support/azurite.js';
import { eventually } from '../support/eventually.js';
import { appFolder, killAll, runCli, type RunningCli } from '../support/host.js';
import { sleep, startServer, type TestServer } from '../support/servers.js';

const HOLDS = /timer dispatcher: this instance holds its lock/;
const WAITS = /timer dispatcher: another instance holds its lock/;

/**
 * Issue 13, "the lease: two hosts never tick at once": two `pulsecheck start`s in one app folder
 * (one host id) on one Azurite are two instances of one app. Only the holder of the dispatcher's
 * lock ticks; when it dies (SIGKILL: no release), the other takes over once the lease lapses.
 * Which instance ticked is seen where the user sees it: a job's requests name the instance
 * (`${env:WEBSITE_HOSTNAME}`) at the target.
 */
describe('the dispatcher timer is a singleton across local hosts', () => {
  let azurite: RunningAzurite;
  let target: TestServer;
  const hosts: RunningCli[] = [];

  beforeAll(async () => {
    azurite = await acquireAzurite();
    target = await startServer((_req, res) => res.writeHead(200).end('ok'));
  });
  afterAll(async () => {
    await killAll(hosts);
    await target?.close();
    await releaseAzurite();
  });

  it('ticks on one instance only, and on the other within the lease period after the holder is killed', async () => {
    const dir = appFolder(
      { jobs: [{ name: 'tick', url: `${target.url}/tick?host=\${env:WEBSITE_HOSTNAME}`, every: '1s' }] },
      {
        AzureWebJobsStorage: azurite.connectionString,
        PULSECHECK_TABLE_PREFIX: uniquePrefix('lease'),
        PULSECHECK_PORT: '0',
        PULSECHECK_TICK_SCHEDULE: '* * * * * *',
      },
    );
    // The shortest lease a blob takes, and a quick retry, as the repository's own host.json sets them.
    writeFileSync(join(dir, 'host.json'), JSON.stringify({ version: '2.0', singleton: { listenerLockPeriod: '00:00:15', listenerLockRecoveryPollingInterval: '00:00:01' } }));

    const first = runCli(['start'], dir);
    hosts.push(first);
    const firstUrl = (await first.waitFor(/listening on http:\/\/(127\.0\.0\.1:\d+)\/api/, 30_000))[1] as string;
    await first.waitFor(HOLDS, 30_000);
    const second = runCli(['start'], dir);
    hosts.push(second);
    const secondUrl = (await second.waitFor(/listening on http:\/\/(127\.0\.0\.1:\d+)\/api/, 30_000))[1] as string;
    await second.waitFor(WAITS, 30_000);

    const ticks = () => target.requests.filter((r) => r.path.startsWith('/tick')).map((r) => ({ host: new URL(r.path, target.url).searchParams.get('host'), at: r.at }));
    await sleep(4_000);
    const together = ticks();
    expect(together.length).toBeGreaterThanOrEqual(3);
    expect(new Set(together.map((t) => t.host))).toEqual(new Set([firstUrl]));

    first.child.kill('SIGKILL');
    const killedAt = Date.now();
    await first.exited;
    await second.waitFor(HOLDS, 30_000);
    const tookOverAt = Date.now();
    // The lease lapses at most 15 s after the last renewal; the other instance retries every second.
    expect(tookOverAt - killedAt).toBeLessThan(15_000 + 1_000 + 2_000);
    await eventually(() => ticks().filter((t) => t.host === secondUrl).length >= 2, {
      timeoutMs: 10_000,
      what: () => `two ticks by the second instance; its output:\n${second.output().slice(-2_000)}`,
    });

    const all = ticks();
    const byFirst = all.filter((t) => t.host === firstUrl);
    const bySecond = all.filter((t) => t.host === secondUrl);
    expect(all.length).toBe(byFirst.length + bySecond.length);
    // Never at once: the first instance's last request arrived before it was killed, the second's first after it took over.
    expect(Math.max(...byFirst.map((t) => t.at))).toBeLessThanOrEqual(killedAt);
    expect(Math.min(...bySecond.map((t) => t.at))).toBeGreaterThanOrEqual(killedAt);
  }, 90_000);
});
