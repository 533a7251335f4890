import { afterAll, describe, expect, it } from 'vitest';
import { startAzurite, type RunningAzurite } from '../../../src/hosts/local/azurite.js';
import { startLocalHost, type LocalHost } from '../../../src/hosts/local/localHost.js';
import { uniquePrefix } from '../../support/azurite.js';
import { eventually } from '../../support/eventually.js';
import { MemoryLogger } from '../../support/fakes.js';
import { appFolder } from '../../support/host.js';
import { ALLOW_LOOPBACK } from '../../support/network.js';
import { sleep, startServer, type TestServer } from '../../support/servers.js';

const PAUSE_MS = 8_000;

/**
 * Issue 12, item 2, with storage that hangs rather than refuses: Azurite paused (SIGSTOP) takes
 * connections and never answers, as Table Storage timing out under load does. The checks go on:
 * the tick does not wait for the store's flush (it held each tick for the SDK's 10 s timeouts).
 */
describe('Table Storage that takes requests and never answers', () => {
  let azurite: RunningAzurite | undefined;
  let target: TestServer | undefined;
  let host: LocalHost | undefined;
  afterAll(async () => {
    if (azurite) process.kill(azurite.pid, 'SIGCONT');
    await host?.stop();
    await target?.close();
    await azurite?.stop();
  });

  it('holds no check: a job every second runs about every second while storage hangs', async () => {
    azurite = await startAzurite();
    const arrivals: number[] = [];
    target = await startServer((_req, res) => {
      arrivals.push(Date.now());
      res.end('ok');
    });
    const dir = appFolder(
      { jobs: [{ name: 'often', url: `${target.url}/often`, every: '1s' }] },
      {
        AzureWebJobsStorage: azurite.connectionString,
        PULSECHECK_TABLE_PREFIX: uniquePrefix('hung'),
        PULSECHECK_PORT: '0',
        PULSECHECK_TICK_SCHEDULE: '*/1 * * * * *',
        PULSECHECK_SHUTDOWN_GRACE_SECONDS: '1',
        ...ALLOW_LOOPBACK,
      },
    );
    host = await startLocalHost({ dir, logger: new MemoryLogger() });
    await eventually(() => arrivals.length >= 3, { timeoutMs: 20_000, what: 'three runs before the pause' });

    process.kill(azurite.pid, 'SIGSTOP');
    const pausedAt = Date.now();
    try {
      await sleep(PAUSE_MS);
    } finally {
      process.kill(azurite.pid, 'SIGCONT');
    }
    const during = arrivals.filter((at) => at > pausedAt && at <= pausedAt + PAUSE_MS).length;
    // 8 occurrences; held ticks gave 1 or 2. Room for a loaded machine, none for a held tick.
    expect(during).toBeGreaterThanOrEqual(PAUSE_MS / 1_000 - 3);
  }, 60_000);
});
