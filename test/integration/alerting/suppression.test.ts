import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { MemoryStore } from '../../../src/adapters/memory-store/memoryStore.js';
import type { JobState } from '../../../src/domain/state.js';
import { instance, verifiedEvents } from '../../support/alertingWorld.js';
import { eventually } from '../../support/eventually.js';
import { FakeClock } from '../../support/fakes.js';
import { startReceiver, type Receiver } from '../../support/receivers.js';
import { startServer, type TestServer } from '../../support/servers.js';

const T0 = Date.parse('2026-06-01T12:00:00.000Z');
const TICK = 10_000;

type Answers = Record<string, { status: number; body: string }>;

/**
 * Alerting end to end with maintenance, dependencies and degraded runs (issue 15, items 4, 5 and 7):
 * the app (buildDeps) on a fake clock, its dispatcher ticking every 10 s, checking real node:http
 * targets and notifying a real webhook receiver whose events are verified with `standardwebhooks`.
 */
describe('alerts through maintenance, dependencies and degraded runs, end to end', () => {
  let target: TestServer;
  let receiver: Receiver;
  const answers: Answers = {};
  const open: Array<{ close(): Promise<void> }> = [];

  beforeAll(async () => {
    target = await startServer((req, res) => {
      const answer = answers[req.url ?? ''] ?? { status: 404, body: 'no such path' };
      res.writeHead(answer.status).end(answer.body);
    });
    receiver = await startReceiver();
  });
  afterEach(async () => {
    await Promise.all(open.splice(0).map((d) => d.close()));
    receiver.received.length = 0;
  });
  afterAll(async () => {
    await target?.close();
    await receiver?.close();
  });

  /**
   * An app over `file`, and a function that runs the dispatcher's next tick (at T0, then every 10 s)
   * and returns its instant once each job's run of it is recorded and its alerts are sent.
   */
  function app(file: { jobs: Array<{ name: string; [field: string]: unknown }>; [field: string]: unknown }) {
    const clock = new FakeClock(T0);
    // Counts each job's recorded runs (the job's state is saved right before the alert decision starts).
    const recorded = new Map<string, number>();
    const memory = new MemoryStore();
    const store = new Proxy(memory, {
      get(target, property) {
        if (property === 'saveState') {
          return async (job: string, state: JobState) => {
            await target.saveState(job, state);
            recorded.set(job, (recorded.get(job) ?? 0) + 1);
          };
        }
        const value: unknown = Reflect.get(target, property, target);
        return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
      },
    });
    const deps = instance({ clock, file, store, settings: { PULSECHECK_TICK_SCHEDULE: '*/10 * * * * *' } });
    open.push(deps);
    let ticks = 0;
    const tick = async () => {
      const at = clock.now() - T0;
      const ticked = deps.useCases.lifecycle.tick();
      await clock.advance(TICK);
      await ticked;
      ticks++;
      await eventually(() => file.jobs.every((job) => (recorded.get(job.name) ?? 0) >= ticks), { what: () => `a run of each job at +${at} ms: ${JSON.stringify([...recorded])}` });
      await new Promise((resolve) => setImmediate(resolve)); // the alert decisions start right after the state is saved
      await deps.useCases.lifecycle.idle();
      return at;
    };
    return { deps, tick };
  }
  const channels = () => ({ hooks: { type: 'webhook', url: `${receiver.url}/hook`, secret: 'hook-key' } });
  const base = { every: '10s', retry: { maxAttempts: 1 }, circuitBreaker: false };
  const events = () => verifiedEvents(receiver) as Array<ReturnType<typeof verifiedEvents>[number] & { data: { status: string; dependents?: string[]; run: { reason: string } } }>;

  it('nothing is sent for runs in a maintenance window or under a down upstream job; the upstream alerts once, naming them', async () => {
    answers['/db'] = { status: 503, body: 'down' };
    answers['/api'] = { status: 200, body: 'ok' };
    answers['/quiet'] = { status: 200, body: 'ok' };
    const alert = (failureThreshold: number) => [{ channels: ['hooks'], failureThreshold, successThreshold: 1 }];
    const { tick } = app({
      channels: channels(),
      // db is in maintenance from 12:00:00 for one minute: its failures then alert nobody.
      maintenance: [{ name: 'db upgrade', schedule: '0 0 12 * * *', duration: '1m', jobs: ['db'] }],
      jobs: [
        { name: 'db', url: `${target.url}/db`, ...base, alerts: alert(2) },
        { name: 'api', url: `${target.url}/api`, ...base, dependsOn: ['db'], alerts: alert(1) },
        { name: 'quiet', url: `${target.url}/quiet`, ...base, dependsOn: ['db'], whenUpstreamDown: 'silent', alerts: alert(1) },
      ],
    });
    expect(await tick()).toBe(0); // 12:00:00, db's first run (in the window); api and quiet still see db UNKNOWN and run, up
    // From now on api and quiet fail too: only the upstream rule keeps them quiet.
    answers['/api'] = { status: 503, body: 'down' };
    answers['/quiet'] = { status: 503, body: 'down' };
    while ((await tick()) < 50_000); // the rest of the window
    expect(receiver.received).toEqual([]);
    expect(await tick()).toBe(60_000); // 12:01:00, the window is over: db's first failure that counts
    expect(receiver.received).toEqual([]);
    await tick(); // its second: triggered
    expect(events().map((e) => [e.type, e.data.job, e.data.dependents])).toEqual([['alert.triggered', 'db', ['api', 'quiet']]]);
    await tick();
    await tick();
    expect(receiver.received).toHaveLength(1); // api skipped, quiet silent: still nothing from them

    answers['/db'] = { status: 200, body: 'ok' };
    await tick(); // db up: resolved; its dependents run again at their next occurrence
    await tick(); // api and quiet fail on their own: each alerts
    const sent = events().map((e) => `${e.type} ${e.data.job}`);
    expect(sent.slice(0, 2)).toEqual(['alert.triggered db', 'alert.resolved db']);
    expect(sent.slice(2).sort()).toEqual(['alert.triggered api', 'alert.triggered quiet']);
  }, 60_000);

  it('a degraded job alerts a rule on ["down", "degraded"], with the failed degraded condition, and not a rule on down', async () => {
    answers['/slow'] = { status: 200, body: 'slow' };
    const { tick } = app({
      channels: { ...channels(), other: { ...channels().hooks, url: `${receiver.url}/other` } },
      jobs: [
        {
          name: 'search',
          url: `${target.url}/slow`,
          ...base,
          degradedConditions: ['[BODY] == fast'],
          alerts: [
            { channels: ['hooks'], failureThreshold: 2, successThreshold: 1, on: ['down', 'degraded'] },
            { channels: ['other'], failureThreshold: 1 },
          ],
        },
      ],
    });
    await tick();
    expect(receiver.received).toEqual([]);
    await tick();
    answers['/slow'] = { status: 200, body: 'fast' };
    await tick();
    expect(receiver.received.map((r) => r.path)).toEqual(['/hook', '/hook']);
    const [triggered, resolved] = events();
    expect(triggered).toMatchObject({ type: 'alert.triggered', data: { job: 'search', status: 'degraded', failures: 2, run: { reason: '[BODY] == fast (actual: slow)' } } });
    expect(resolved).toMatchObject({ type: 'alert.resolved', data: { job: 'search', status: 'up' } });
  }, 30_000);
});
