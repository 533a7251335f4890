import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, describe, expect, it } from 'vitest';
import { TableClient } from '@azure/data-tables';
import { SystemClock } from '../../../src/adapters/system-clock/systemClock.js';
import { tableStore } from '../../../src/compositionStorage.js';
import { startAzurite, type RunningAzurite } from '../../../src/hosts/local/azurite.js';
import { startLocalHost, type LocalHost } from '../../../src/hosts/local/localHost.js';
import { uniquePrefix } from '../../support/azurite.js';
import { eventually } from '../../support/eventually.js';
import { MemoryLogger } from '../../support/fakes.js';
import { appFolder } from '../../support/host.js';
import { ALLOW_LOOPBACK } from '../../support/network.js';
import { startServer, type TestServer } from '../../support/servers.js';

const JOBS = { fast: 1_000, slow: 2_000 } as const;
const OUTAGE_MS = 12_000;

/**
 * Issue 12, item 2: storage is not on the check path. Azurite is killed mid-run: every occurrence
 * still reaches the target on time, `/api/health` says `storage: down` at once and fast, and once
 * Azurite is back (same port, same data) every run is in the table exactly once.
 */
describe('Table Storage outage while checks run', () => {
  let azurite: RunningAzurite | undefined;
  let target: TestServer | undefined;
  let host: LocalHost | undefined;
  afterAll(async () => {
    await host?.stop();
    await target?.close();
    await azurite?.stop();
  });

  it('runs every occurrence on time, reports storage down fast, and stores every run once afterwards', async () => {
    const data = mkdtempSync(join(tmpdir(), 'pulsecheck-outage-'));
    azurite = await startAzurite({ location: data });
    const ports = { blob: port(azurite.endpoints.blob), queue: port(azurite.endpoints.queue), table: port(azurite.endpoints.table) };
    const connectionString = azurite.connectionString;
    target = await startServer((_req, res) => res.end('ok'));
    const tablePrefix = uniquePrefix('outage');
    const dir = appFolder(
      { jobs: Object.entries(JOBS).map(([name, ms]) => ({ name, url: `${target?.url}/${name}`, every: `${ms / 1_000}s` })) },
      {
        AzureWebJobsStorage: connectionString,
        PULSECHECK_TABLE_PREFIX: tablePrefix,
        PULSECHECK_PORT: '0',
        PULSECHECK_TICK_SCHEDULE: '*/1 * * * * *',
        ...ALLOW_LOOPBACK,
      },
    );
    host = await startLocalHost({ dir, logger: new MemoryLogger() });
    const seen = () => arrivals(target as TestServer);

    await eventually(() => seen().filter((a) => a.job === 'fast').length >= 3, { timeoutMs: 15_000, what: 'three runs before the outage' });
    // Stopped, not SIGKILLed: Azurite saves its data files only when it stops or every few seconds.
    await azurite.stop();
    const killedAt = Date.now();

    // Health answers fast and says down soon after the kill, while checks keep going.
    const health = await eventually(
      async () => {
        const started = Date.now();
        const body = (await (await fetch(`${host?.url}/health`)).json()) as { checks: { storage: { status: string } } };
        expect(Date.now() - started).toBeLessThan(1_000);
        return body.checks.storage.status === 'down' && body;
      },
      { timeoutMs: 3_000, intervalMs: 200, what: 'storage: down in /api/health' },
    );
    expect(health.checks.storage.status).toBe('down');
    await sleep(OUTAGE_MS - (Date.now() - killedAt));

    azurite = await startAzurite({ location: data, ports });
    const restartedAt = Date.now();
    let storage: { status: string } | undefined;
    await eventually(async () => (storage = ((await (await fetch(`${host?.url}/health`)).json()) as { checks: { storage: { status: string } } }).checks.storage).status === 'ok', {
      timeoutMs: 30_000,
      intervalMs: 250,
      what: () => `storage: ok again (${JSON.stringify(storage)})`,
    });
    await sleep(2_000);
    await host.stop(); // flushes what is pending
    host = undefined;

    const ran = seen();
    for (const [job, every] of Object.entries(JOBS)) {
      const instants = ran.filter((a) => a.job === job).map((a) => a.scheduledAt);
      // Every occurrence from shortly before the outage to the last one, once (the first ticks after
      // start, slowed by creating the tables, may catch up once instead: not what this measures).
      const first = Math.ceil((killedAt - 2_000) / every) * every;
      const last = Math.max(...instants);
      const expected = Array.from({ length: (last - first) / every + 1 }, (_, i) => first + i * every);
      expect(instants.filter((at) => at >= first).sort((a, b) => a - b), `${job}: every occurrence ran once`).toEqual(expected);
      expect(new Set(instants).size, `${job}: no occurrence ran twice`).toBe(instants.length);
      expect(last, `${job} ran after storage returned`).toBeGreaterThan(restartedAt);
    }
    const during = ran.filter((a) => a.scheduledAt > killedAt && a.scheduledAt < restartedAt);
    expect(during.length).toBeGreaterThanOrEqual(((OUTAGE_MS / 1_000) * 3) / 2 - 2);
    // On time through the outage and after it: the target saw each request within a second of its
    // instant (the first ticks after start, creating the tables, are not what this measures).
    for (const a of ran.filter((r) => r.scheduledAt > killedAt - 1_000)) expect(a.lateMs, `${a.runId} late`).toBeLessThan(1_000);

    // Every run the target saw is stored exactly once (read back by a new store over the same tables).
    const store = tableStore({ clock: new SystemClock(),  connection: { connectionString }, logger: new MemoryLogger(), tablePrefix });
    try {
      for (const job of Object.keys(JOBS)) {
        const stored = await store.listRuns(job, { limit: 1_000 });
        const ids = stored.map((r: { runId: string }) => r.runId);
        expect(new Set(ids).size, `${job}: no run stored twice`).toBe(ids.length);
        expect(ids.sort()).toEqual(ran.filter((a) => a.job === job).map((a) => a.runId).sort());
        expect(await storedRunIds(connectionString, tablePrefix, job), `${job}: stored once`).toEqual(ids);
      }
    } finally {
      await store.close();
    }
  }, 90_000);
});

const port = (url: string) => Number(new URL(url).port);

/** Scheduled runs that reached the target (first attempts): job, instant, run id and lateness at arrival. */
function arrivals(target: TestServer) {
  return target.requests.flatMap((r) => {
    const match = /^((\w+)@([^~#]+))#1$/.exec(String(r.headers['x-pulsecheck-run']));
    if (!match) return [];
    const scheduledAt = Date.parse(match[3] as string);
    return [{ runId: match[1] as string, job: match[2] as string, scheduledAt, lateMs: r.at - scheduledAt }];
  });
}

/** Run ids as stored in the runs tables (every copy, where `listRuns` would show one), sorted. */
async function storedRunIds(connectionString: string, prefix: string, job: string): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < 64; i++) {
    const table = TableClient.fromConnectionString(connectionString, `${prefix}Runs${i}`, { allowInsecureConnection: true });
    for await (const entity of table.listEntities<Record<string, unknown>>({ queryOptions: { filter: `PartitionKey eq 'runs' and RowKey ge '${job}|' and RowKey lt '${job}}'` } })) {
      let text = '';
      for (let d = 0; d < Number(entity.dn ?? 1); d++) text += String(entity[`d${d}`] ?? '');
      ids.push(...(JSON.parse(text) as Array<{ runId: string }>).map((r) => r.runId));
    }
  }
  return ids.sort();
}
