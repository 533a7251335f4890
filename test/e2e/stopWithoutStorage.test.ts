import { afterEach, describe, expect, it } from 'vitest';
import { startAzurite, type RunningAzurite } from '../../src/hosts/local/azurite.js';
import { stopBudgetMs } from '../../src/hosts/local/localHost.js';
import { uniquePrefix } from '../support/azurite.js';
import { appFolder, runCli, type RunningCli } from '../support/host.js';
import { ALLOW_LOOPBACK } from '../support/network.js';
import { sleep, startServer, type TestServer } from '../support/servers.js';

const GRACE_SECONDS = 1;
/** What the host may take beyond its own bound before the test calls it hung (a loaded machine). */
const MARGIN_MS = 3_000;

/**
 * Issue 12 follow-up: `pulsecheck start` stops on SIGTERM within its bound (the grace period, then
 * the last writes) whatever storage does: gone (connections refused) or hung (connections taken,
 * never answered, as a paused Azurite or Table Storage under load).
 */
describe('pulsecheck start stopped while its storage is gone', () => {
  let azurite: RunningAzurite | undefined;
  let target: TestServer | undefined;
  let host: RunningCli | undefined;
  let signal: NodeJS.Signals | undefined;
  afterEach(async () => {
    if (host?.child.exitCode === null) host.child.kill('SIGKILL');
    if (azurite && signal === 'SIGSTOP') process.kill(azurite.pid, 'SIGCONT');
    await azurite?.stop();
    await target?.close();
  });

  it.each([
    ['killed', 'SIGKILL'],
    ['hung', 'SIGSTOP'],
  ] as const)('exits on SIGTERM in time with Azurite %s', async (_what, killWith) => {
    signal = killWith;
    azurite = await startAzurite();
    target = await startServer((_req, res) => res.end('ok'));
    const dir = appFolder(
      { jobs: [{ name: 'often', url: `${target.url}/often`, every: '1s' }] },
      {
        AzureWebJobsStorage: azurite.connectionString,
        PULSECHECK_TABLE_PREFIX: uniquePrefix('stop'),
        PULSECHECK_PORT: '0',
        PULSECHECK_TICK_SCHEDULE: '*/1 * * * * *',
        PULSECHECK_SHUTDOWN_GRACE_SECONDS: String(GRACE_SECONDS),
        ...ALLOW_LOOPBACK,
      },
    );
    host = runCli(['start'], dir);
    await host.waitFor(/listening on/, 20_000);
    await host.waitFor(/often up/, 20_000); // checks run and their writes are under way
    process.kill(azurite.pid, killWith);
    await sleep(2_000); // runs pile up for a storage that is not there

    const sent = Date.now();
    host.child.kill('SIGTERM');
    const code = await Promise.race([host.exited, sleep(stopBudgetMs(GRACE_SECONDS * 1_000) + MARGIN_MS).then(() => 'hung' as const)]);
    const took = Date.now() - sent;
    expect(code, `${took} ms\n${host.output()}\n${host.errors()}`).toBe(0);
    expect(took).toBeLessThanOrEqual(stopBudgetMs(GRACE_SECONDS * 1_000) + MARGIN_MS);
  }, 60_000);
});
