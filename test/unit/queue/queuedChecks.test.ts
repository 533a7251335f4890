import { describe, expect, it } from 'vitest';
import { MemoryClaims } from '../../../src/adapters/memory-store/memoryClaims.js';
import { MemoryStore } from '../../../src/adapters/memory-store/memoryStore.js';
import type { RunRequest } from '../../../src/app/checkRunner.js';
import { queuedOccurrence } from '../../../src/app/queueDispatch.js';
import { QueuedChecks } from '../../../src/app/queuedChecks.js';
import { parseOccurrenceMessage } from '../../../src/config/occurrenceMessage.js';
import type { Job } from '../../../src/domain/job.js';
import { visibilityDelaySeconds } from '../../../src/domain/occurrence.js';
import { unjudgedRun, type Run } from '../../../src/domain/run.js';
import { FakeClock, MemoryLogger } from '../../support/fakes.js';
import { job } from '../../support/jobs.js';

const T = Date.parse('2026-12-02T12:00:00.000Z');

describe('visibilityDelaySeconds', () => {
  it.each([
    { scheduledIn: 10_000, delay: 8, why: 'visible 2 s before its instant' },
    { scheduledIn: 2_500, delay: 0, why: 'whole seconds, rounded down: never visible after its instant' },
    { scheduledIn: 1_000, delay: 0, why: 'less than the lead: at once' },
    { scheduledIn: -5_000, delay: 0, why: 'past (a catch-up): at once' },
    { scheduledIn: 30 * 86_400_000, delay: 7 * 86_400, why: 'at most 7 days' },
  ])('$why', ({ scheduledIn, delay }) => {
    expect(visibilityDelaySeconds(T + scheduledIn, T)).toBe(delay);
  });
});

describe('parseOccurrenceMessage', () => {
  const good = { v: 1, job: 'api', scheduledAt: '2026-12-02T12:00:00.000Z', runId: 'api@2026-12-02T12:00:00.000Z', revision: 'r1' };
  it.each([
    { body: good, error: undefined },
    { body: JSON.stringify(good), error: undefined },
    { body: 'not json', error: 'the message is not JSON' },
    { body: { ...good, v: 2 }, error: 'v' },
    { body: { ...good, runId: 'api@2026-12-02T12:00:01.000Z' }, error: 'runId must be job@scheduledAt' },
    { body: { ...good, scheduledAt: 'noon' }, error: 'scheduledAt' },
  ])('$body → $error', ({ body, error }) => {
    const parsed = parseOccurrenceMessage(body);
    if (error === undefined) expect(parsed).toEqual({ ok: true, message: good });
    else expect(!parsed.ok && parsed.error).toContain(error);
  });
});

/** A runner that records what it ran (the real CheckRunner is exercised by the integration tests). */
class CountingRunner {
  readonly ran: string[] = [];
  constructor(private readonly store: MemoryStore) {}
  async run(ran: Job, request: RunRequest): Promise<Run> {
    this.ran.push(request.runId);
    const run = unjudgedRun({ runId: request.runId, job: ran.name, trigger: request.trigger, scheduledAt: request.scheduledAt, location: 'test' }, request.scheduledAt, 'internal', 'test', 'error');
    await this.store.recordRun(run);
    return run;
  }
}

describe('QueuedChecks (runCheck)', () => {
  const api = job({ name: 'api', url: 'https://example.com/', every: '10s' });
  const signals = () => ({ stop: new AbortController().signal, abort: new AbortController().signal });

  function world(jobs: Job[] = [api]) {
    const clock = new FakeClock(T);
    const store = new MemoryStore();
    const runner = new CountingRunner(store);
    const claims = new MemoryClaims();
    const catalog = { list: () => Promise.resolve(jobs), get: (name: string) => Promise.resolve(jobs.find((j) => j.name === name)) };
    const queued = new QueuedChecks({ catalog, runner, clock, claims, store, logger: new MemoryLogger(), location: 'test' });
    return { clock, store, runner, queued };
  }
  const message = queuedOccurrence(api, { job: 'api', scheduledAt: T, catchUp: false }, T).message;

  it('runs an occurrence once per message, whatever the deliveries', async () => {
    const { runner, queued } = world();
    const outcomes = [
      (await queued.handle(message, { messageId: 'm1', dequeueCount: 1 }, signals())).outcome,
      // Another message for the same occurrence (the dispatcher queued it twice).
      (await queued.handle(message, { messageId: 'm2', dequeueCount: 1 }, signals())).outcome,
      // The first message again: its run is stored, so it is not run again.
      (await queued.handle(message, { messageId: 'm1', dequeueCount: 2 }, signals())).outcome,
    ];
    expect(outcomes).toEqual(['ran', 'duplicate', 'recorded']);
    expect(runner.ran).toEqual([message.runId]);
  });

  it('runs the same message again when its earlier holder claimed it and recorded nothing', async () => {
    const { runner, store } = world();
    const claims = new MemoryClaims();
    const catalog = { list: () => Promise.resolve([api]), get: () => Promise.resolve(api) };
    const common = { catalog, clock: new FakeClock(T), claims, store, logger: new MemoryLogger(), location: 'test' };
    const dying = new QueuedChecks({ ...common, runner: { run: () => Promise.reject(new Error('the instance died')) } });
    await expect(dying.handle(message, { messageId: 'm1', dequeueCount: 1 }, signals())).rejects.toThrow('the instance died');
    const healthy = new QueuedChecks({ ...common, runner });
    expect((await healthy.handle(message, { messageId: 'm2', dequeueCount: 1 }, signals())).outcome).toBe('duplicate');
    expect((await healthy.handle(message, { messageId: 'm1', dequeueCount: 2 }, signals())).outcome).toBe('ran');
    expect(runner.ran).toEqual([message.runId]);
  });

  it('waits for the instant of a message that became visible early', async () => {
    const { clock, runner, queued } = world();
    const later = queuedOccurrence(api, { job: 'api', scheduledAt: T + 2_000, catchUp: false }, T).message;
    const handled = queued.handle(later, { messageId: 'm1', dequeueCount: 1 }, signals());
    await clock.advance(1_999);
    expect(runner.ran).toEqual([]);
    await clock.advance(1);
    expect((await handled).outcome).toBe('ran');
  });

  it('does not run an occurrence of a job deleted or disabled since it was queued', async () => {
    const { runner, queued } = world([{ ...api, enabled: false }]);
    expect((await queued.handle(message, { messageId: 'm1', dequeueCount: 1 }, signals())).outcome).toBe('job-gone');
    expect((await world([]).queued.handle(message, { messageId: 'm1', dequeueCount: 1 }, signals())).outcome).toBe('job-gone');
    expect(runner.ran).toEqual([]);
  });

  it('ages out the claims of days older than the retention, as the runs they guard', async () => {
    const clock = new FakeClock(T);
    const store = new MemoryStore();
    const runner = new CountingRunner(store);
    const catalog = { list: () => Promise.resolve([api]), get: () => Promise.resolve(api) };
    const queued = new QueuedChecks({ catalog, runner, clock, claims: new MemoryClaims(), store, logger: new MemoryLogger(), location: 'test', retentionDays: 2 });
    const occurrence = (at: number) => queuedOccurrence(api, { job: 'api', scheduledAt: at, catchUp: false }, at).message;
    for (const [i, at] of [T - 3 * 86_400_000, T - 86_400_000, T].entries()) await queued.handle(occurrence(at), { messageId: `m${i}`, dequeueCount: 1 }, signals());
    expect(await queued.applyRetention()).toEqual({ deleted: 1, before: '2026-11-30T12:00:00.000Z', complete: true });
    // The kept claims still stop a duplicate message; the deleted one no longer does.
    expect((await queued.handle(occurrence(T - 86_400_000), { messageId: 'other', dequeueCount: 1 }, signals())).outcome).toBe('duplicate');
    expect((await queued.handle(occurrence(T - 3 * 86_400_000), { messageId: 'other', dequeueCount: 1 }, signals())).outcome).toBe('ran');
    expect(await queued.applyRetention()).toMatchObject({ deleted: 1 });
  });

  it('runs the current definition of a job changed since it was queued', async () => {
    const changed = job({ name: 'api', url: 'https://example.com/v2', every: '10s' });
    const { runner, queued } = world([changed]);
    expect(queuedOccurrence(changed, { job: 'api', scheduledAt: T, catchUp: false }, T).message.revision).not.toBe(message.revision);
    expect((await queued.handle(message, { messageId: 'm1', dequeueCount: 1 }, signals())).outcome).toBe('ran');
    expect(runner.ran).toEqual([message.runId]);
  });
});
