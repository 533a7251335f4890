import { join } from 'node:path';
import { TableClient } from '@azure/data-tables';
import { afterEach, describe, expect, it } from 'vitest';
import { buildDeps, type Deps } from '../../../src/composition.js';
import { loadSettings } from '../../../src/config/settings.js';
import type { StateStore } from '../../../src/app/ports/index.js';
import type { JobState } from '../../../src/domain/state.js';
import { uniquePrefix } from '../../support/azurite.js';
import { eventually } from '../../support/eventually.js';
import { MemoryLogger } from '../../support/fakes.js';
import { appFolder } from '../../support/host.js';
import { ALLOW_LOOPBACK } from '../../support/network.js';
import { startServer, type TestServer } from '../../support/servers.js';
import { azuriteStores } from '../../support/tableStores.js';

/** Issue 13, item 5: regions share one store; each keeps its own job state and dispatcher state. */
const azurite = azuriteStores();

const state = (health: JobState['health'], failures = 0): JobState => ({ health, since: '2026-01-01T00:00:00.000Z', consecutiveFailures: failures, consecutiveSuccesses: 0, lastRun: null });

describe('several regions on one store', () => {
  const stores: StateStore[] = [];
  const open = (tablePrefix: string, location: string) => {
    const store = azurite.open(tablePrefix, { location });
    stores.push(store);
    return store;
  };
  let target: TestServer | undefined;
  const apps: Deps[] = [];
  afterEach(async () => {
    for (const deps of apps.splice(0)) {
      await deps.useCases.lifecycle.shutdown(0);
      await deps.close();
    }
    await Promise.all(stores.splice(0).map((store) => store.close()));
    await target?.close();
    target = undefined;
  });

  it('two app instances with different locations: the job view shows both locations, each instance its own state on top', { timeout: 30_000 }, async () => {
    let healthy = true;
    target = await startServer((_req, res) => res.writeHead(healthy ? 200 : 503).end());
    const dir = appFolder({ jobs: [{ name: 'shared', url: `${target.url}/health`, every: '1h', retry: { maxAttempts: 1 } }] });
    const tablePrefix = uniquePrefix('regions');
    const app = (location: string) => {
      const env = { ...ALLOW_LOOPBACK, AzureWebJobsStorage: azurite.connectionString, PULSECHECK_TABLE_PREFIX: tablePrefix, PULSECHECK_JOBS_FILE: join(dir, 'jobs.config.json'), PULSECHECK_RUN_LOCATION: location };
      const deps = buildDeps(loadSettings(env), { env, logger: new MemoryLogger() });
      apps.push(deps);
      return deps.useCases;
    };
    const west = app('westeurope');
    const east = app('eastus');
    expect(await west.manualRuns.runNow('shared')).toMatchObject({ status: 'up', location: 'westeurope' });
    healthy = false;
    expect(await east.manualRuns.runNow('shared')).toMatchObject({ status: 'down', location: 'eastus' });
    // Flushes each instance's store: the states are written behind.
    for (const deps of apps) await deps.useCases.lifecycle.shutdown(1_000);

    // Each instance reads the other's rows at its next refresh (every 5 s).
    await eventually(async () => {
      const view = await west.jobViews.get('shared');
      expect(view.state).toMatchObject({ health: 'UP', lastRun: { status: 'up' } });
      expect(Object.keys(view.locations ?? {})).toEqual(['eastus', 'westeurope']);
      expect(view.locations?.eastus).toMatchObject({ health: 'DOWN', consecutiveFailures: 1, lastRun: { status: 'down' } });
      expect(view.locations?.westeurope).toEqual(view.state);
      return true;
    }, { timeoutMs: 12_000, intervalMs: 250, what: 'both locations in the job view' });
    const fromEast = await east.jobViews.get('shared');
    expect(fromEast.state).toMatchObject({ health: 'DOWN' });
    expect(fromEast.locations?.westeurope).toMatchObject({ health: 'UP' });
  });

  it('a row written before locations were kept is read as the current location, until it writes its own; deleting the job removes every row', async () => {
    const tablePrefix = uniquePrefix('legacy');
    const first = open(tablePrefix, 'westeurope');
    await first.saveLastTick(1); // creates the tables
    await first.flush();
    const table = TableClient.fromConnectionString(azurite.connectionString, `${tablePrefix}State`, { allowInsecureConnection: true });
    await table.upsertEntity({ partitionKey: 'job', rowKey: 'old', state: JSON.stringify(state('DOWN', 4)), circuit: '{"legacy":true}' });
    await table.upsertEntity({ partitionKey: 'dispatcher', rowKey: 'cursors', dn: 1, d0: JSON.stringify({ old: 1234 }) });

    const west = open(tablePrefix, 'westeurope');
    // A first read slower than 2 s (a loaded machine) goes on from memory and completes in the background.
    const settled = { timeoutMs: 10_000, intervalMs: 100 };
    await eventually(async () => (await west.loadCursors()).old === 1234, settled);
    await eventually(async () => (await west.loadState('old'))?.consecutiveFailures === 4, settled);
    expect(await west.loadState('old')).toEqual(state('DOWN', 4));
    expect(await west.loadCircuit('old')).toBe('{"legacy":true}');
    expect(Object.fromEntries(await west.loadLocations('old'))).toEqual({ westeurope: state('DOWN', 4) });
    await west.saveState('old', state('UP'));
    await west.flush();
    expect(await west.loadState('old')).toEqual(state('UP'));

    const east = open(tablePrefix, 'eastus');
    await east.saveState('old', state('DOWN', 1));
    await east.flush();
    const again = open(tablePrefix, 'westeurope');
    await eventually(async () => (await again.loadLocations('old')).size === 2, settled);
    expect(Object.fromEntries(await again.loadLocations('old'))).toEqual({ westeurope: state('UP'), eastus: state('DOWN', 1) });
    expect(Object.fromEntries(await again.loadStates())).toEqual({ old: state('UP') });

    await again.forgetJob('old');
    await again.flush();
    expect(await open(tablePrefix, 'eastus').loadState('old')).toBeUndefined();
    expect(await open(tablePrefix, 'westeurope').loadState('old')).toBeUndefined();
  });

  it('keeps the dispatcher state per location: each region plans on its own cursors', async () => {
    const tablePrefix = uniquePrefix('cursors');
    const west = open(tablePrefix, 'westeurope');
    await west.saveCursors({ a: 1_000 });
    await west.saveLastTick(2_000);
    await west.flush();
    const east = open(tablePrefix, 'eastus');
    expect(await east.loadCursors()).toEqual({});
    expect(await east.loadLastTick()).toBeUndefined();
    await east.saveCursors({ a: 5_000 });
    await east.flush();
    const westAgain = open(tablePrefix, 'westeurope');
    await eventually(async () => (await westAgain.loadCursors()).a === 1_000, { timeoutMs: 10_000, intervalMs: 100 });
    expect(await westAgain.loadLastTick()).toBe(2_000);
  });
});
