import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { instance, startFlappingTarget, verifiedEvents } from '../../support/alertingWorld.js';
import { FakeClock } from '../../support/fakes.js';
import { startReceiver, type Receiver } from '../../support/receivers.js';
import type { TestServer } from '../../support/servers.js';

const T0 = Date.parse('2026-06-01T10:00:00.000Z');
const MINUTE = 60_000;

/**
 * Issue 15, item 5: "the upstream's alert lists what it takes down". `db` alerts through a signed
 * webhook; `api` depends on it, `report` on `api` (silent), `other` on nothing. The trigger and the
 * reminder of `db` name `api` and `report` (followed through), as a field of the event and in the
 * log line; the resolution does not.
 */
describe("an upstream job's alert lists the jobs it takes down", () => {
  let target: TestServer & { status: number };
  let receiver: Receiver;
  beforeAll(async () => {
    target = await startFlappingTarget();
    receiver = await startReceiver();
  });
  afterAll(async () => {
    await target?.close();
    await receiver?.close();
  });

  it('in the webhook event (data.dependents) and the alert log line, on trigger and reminder only', async () => {
    const never = { schedule: '0 0 0 1 1 *', retry: { maxAttempts: 1 }, circuitBreaker: false };
    const clock = new FakeClock(T0);
    const deps = instance({
      clock,
      file: {
        channels: { hooks: { type: 'webhook', url: `${receiver.url}/hook`, secret: 'hook-key' } },
        jobs: [
          { name: 'db', url: `${target.url}/db`, ...never, alerts: [{ channels: ['hooks'], failureThreshold: 1, successThreshold: 1, remindEvery: '5m' }] },
          { name: 'api', url: `${target.url}/api`, ...never, dependsOn: ['db'] },
          { name: 'report', url: `${target.url}/report`, ...never, dependsOn: ['api'], whenUpstreamDown: 'silent' },
          { name: 'other', url: `${target.url}/other`, ...never },
        ],
      },
    });
    try {
      const runDb = async (ms: number) => {
        await clock.advance(ms);
        await deps.useCases.manualRuns.runNow('db');
        await deps.useCases.lifecycle.idle();
      };
      target.status = 503;
      await runDb(MINUTE); // triggered
      await runDb(5 * MINUTE); // reminded
      target.status = 200;
      await runDb(MINUTE); // resolved
      const events = verifiedEvents(receiver) as Array<ReturnType<typeof verifiedEvents>[number] & { data: { dependents?: string[] } }>;
      expect(events.map((e) => [e.type, e.data.dependents])).toEqual([
        ['alert.triggered', ['api', 'report']],
        ['alert.reminder', ['api', 'report']],
        ['alert.resolved', undefined],
      ]);
      const logged = deps.logger.records.filter((r) => (r.fields as { event?: string }).event === 'alert').map((r) => (r.fields as { dependents?: string[] }).dependents);
      expect(logged).toEqual([['api', 'report'], ['api', 'report'], undefined]);
    } finally {
      await deps.close();
    }
  });
});
