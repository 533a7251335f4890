import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemoryStore } from '../../../src/adapters/memory-store/memoryStore.js';
import { buildDeps, type Deps } from '../../../src/composition.js';
import { loadSettings } from '../../../src/config/settings.js';
import { FakeClock, MemoryLogger } from '../../support/fakes.js';
import { appFolder } from '../../support/host.js';
import { startServer, type TestServer } from '../../support/servers.js';

const DAY = 86_400_000;
const NOW = Date.parse('2026-06-15T12:00:00Z');

/**
 * Issue 16, item 1: rollups are kept 400 days whatever the run history keeps, so the history's
 * retention can stay short. Runs made by the app (on a fake clock) against a real target, then the
 * retention timer's two steps, as it runs them.
 */
describe('the retention timer: a short run history, rollups kept 400 days', () => {
  let target: TestServer;
  let deps: Deps;
  const clock = new FakeClock(NOW);

  beforeAll(async () => {
    target = await startServer((_req, res) => res.writeHead(200).end('ok'));
    const dir = appFolder({ jobs: [{ name: 'shop', url: `${target.url}/health`, every: '1h' }] });
    const env = { PULSECHECK_JOBS_FILE: join(dir, 'jobs.config.json'), PULSECHECK_ALLOWED_NETWORKS: '127.0.0.0/8', PULSECHECK_RETENTION_DAYS: '7' };
    deps = buildDeps(loadSettings(env), { env, logger: new MemoryLogger(), store: new MemoryStore(), clock });
    for (const daysAgo of [401, 399, 10, 0]) {
      clock.t = NOW - daysAgo * DAY;
      expect((await deps.useCases.manualRuns.runNow('shop')).status).toBe('up');
    }
    clock.t = NOW;
  });
  afterAll(async () => {
    await deps?.close();
    await target?.close();
  });

  /** The SLA figures of the UTC day `daysAgo` days before now. */
  const dayFigures = async (daysAgo: number) => {
    const from = NOW - daysAgo * DAY - 12 * 3_600_000;
    const [figures] = await deps.useCases.uptime.sla({ job: 'shop', from, to: from + DAY - 1 });
    return figures;
  };

  it('deletes runs older than PULSECHECK_RETENTION_DAYS, keeps their rollups up to 400 days, then drops older ones', async () => {
    for (const daysAgo of [401, 399, 10, 0]) expect((await dayFigures(daysAgo))?.up, `${daysAgo} days ago, before`).toBe(1);

    const { admin } = deps.useCases;
    expect(await admin.applyRetention()).toMatchObject({ deleted: 3, complete: true });
    const runs = await admin.history('shop', 10, undefined);
    expect(runs.items.map((r) => r.scheduledAt)).toEqual([new Date(NOW).toISOString()]);
    const rollups = await admin.compactRollups();
    expect(rollups).toMatchObject({ complete: true });
    expect(rollups.deleted).toBeGreaterThanOrEqual(2); // the hour and the day of 401 days ago

    expect((await dayFigures(401))?.up).toBe(0);
    for (const daysAgo of [399, 10, 0]) expect((await dayFigures(daysAgo))?.up, `${daysAgo} days ago, after`).toBe(1);
    const [year] = await deps.useCases.uptime.sla({ job: 'shop', from: NOW - 400 * DAY, to: NOW });
    expect(year).toMatchObject({ up: 3, uptimePct: 100, bucket: 'day' });
  });
});
