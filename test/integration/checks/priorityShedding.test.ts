import { join } from 'node:path';
import parsePrometheusTextFormat from 'parse-prometheus-text-format';
import { afterEach, describe, expect, it } from 'vitest';
import { MemoryStore } from '../../../src/adapters/memory-store/memoryStore.js';
import { buildDeps, type Deps } from '../../../src/composition.js';
import { loadSettings } from '../../../src/config/settings.js';
import { MemoryLogger } from '../../support/fakes.js';
import { appFolder } from '../../support/host.js';
import { ALLOW_LOOPBACK } from '../../support/network.js';
import { startServer, type TestServer } from '../../support/servers.js';

interface Family {
  name: string;
  metrics: Array<{ value?: string; labels?: Record<string, string> }>;
}

/** Issue 13, item 4: an overload made with a small bulkhead, against a slow real target, through a real tick. */
describe('priorities under overload', () => {
  let target: TestServer | undefined;
  let deps: Deps | undefined;
  afterEach(async () => {
    await deps?.useCases.lifecycle.shutdown(0);
    await deps?.close();
    await target?.close();
  });

  it('starts critical checks first and all of them, then normal ones, and sheds the background ones', async () => {
    // Each check holds its slot for 600 ms: with 2 slots, 14 checks due at once are an overload.
    const arrivals: string[] = [];
    target = await startServer((req, res) => {
      arrivals.push(req.url?.slice(1) ?? '');
      setTimeout(() => res.writeHead(200).end('ok'), 600).unref();
    });
    const url = target.url;
    const names = { critical: ['c1', 'c2', 'c3', 'c4'], normal: ['n1', 'n2', 'n3', 'n4'], background: ['b1', 'b2', 'b3', 'b4', 'b5', 'b6'] };
    // Written background first, so that the order of the file is not what orders the starts.
    const jobs = [...names.background.map((name) => ({ name, priority: 'background' })), ...names.normal.map((name) => ({ name })), ...names.critical.map((name) => ({ name, priority: 'critical' }))];
    const dir = appFolder({
      defaults: { every: '2s', timeoutSeconds: 5, retry: { maxAttempts: 1 }, circuitBreaker: false },
      jobs: jobs.map((job) => ({ ...job, url: `${url}/${job.name}` })),
    });
    const env = {
      ...ALLOW_LOOPBACK,
      PULSECHECK_JOBS_FILE: join(dir, 'jobs.config.json'),
      PULSECHECK_MAX_CONCURRENCY: '2',
      PULSECHECK_SHED_AFTER_MS: '300',
      // One occurrence of each job per tick: the one due at the tick's own instant.
      PULSECHECK_TICK_SCHEDULE: '*/2 * * * * *',
    };
    const store = new MemoryStore();
    deps = buildDeps(loadSettings(env), { env, logger: new MemoryLogger(), store });
    const { lifecycle, metrics } = deps.useCases;

    const tick = await lifecycle.tick();
    expect(tick.planned).toBe(14);
    // Runs that outlive the tick go on; shutdown waits for them.
    await lifecycle.shutdown(10_000);

    // The order the target saw: both critical pairs, then the normal ones; no background check reached it.
    expect(arrivals.slice(0, 4).sort()).toEqual(names.critical);
    expect(arrivals.slice(4).sort()).toEqual(names.normal);
    const last = async (name: string) => (await store.listRuns(name, { limit: 5 }))[0];
    for (const name of [...names.critical, ...names.normal]) expect(await last(name)).toMatchObject({ status: 'up', httpStatus: 200 });
    for (const name of names.background) {
      expect(await last(name)).toMatchObject({ status: 'skipped', success: false, error: { kind: 'overloaded', message: expect.stringContaining('background') } });
    }

    const text = await metrics!.expose();
    const families = parsePrometheusTextFormat(text) as Family[];
    const sample = (family: string, priority: string) => families.find((f) => f.name === family)?.metrics.find((m) => m.labels?.priority === priority);
    expect(sample('pulsecheck_checks_started_total', 'critical')?.value).toBe('4');
    expect(sample('pulsecheck_checks_started_total', 'normal')?.value).toBe('4');
    expect(sample('pulsecheck_checks_started_total', 'background')?.value).toBe('0');
    expect(sample('pulsecheck_checks_shed_total', 'background')?.value).toBe('6');
    expect(sample('pulsecheck_checks_shed_total', 'critical')?.value).toBe('0');
    // A histogram's count, read from the text (one lateness per check that started on schedule).
    expect(text).toContain('pulsecheck_start_lateness_seconds_count{priority="critical"} 4');
    expect(text).toContain('pulsecheck_start_lateness_seconds_count{priority="normal"} 4');
    expect(text).not.toContain('pulsecheck_start_lateness_seconds_count{priority="background"}');
  });
});
