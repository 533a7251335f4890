import { describe, expect, it } from 'vitest';
import { MemoryDeadLetterQueue } from '../../../src/adapters/memory-queue/memoryDeadLetterQueue.js';
import { MemoryStore } from '../../../src/adapters/memory-store/memoryStore.js';
import { DeadLetters } from '../../../src/app/deadLetters.js';
import { readDeadLetter } from '../../../src/domain/deadLetter.js';
import { MemoryLogger } from '../../support/fakes.js';

const base64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64');
const DAY = 86_400_000;

describe('readDeadLetter (what a check message says)', () => {
  const none = { job: null, scheduledAt: null, runId: null, lastError: null };
  it.each([
    { case: 'base64 JSON, as the Functions host encodes', text: base64({ job: 'a', scheduledAt: '2026-01-01T00:00:00.000Z', runId: 'a@2026-01-01T00:00:00.000Z' }), expected: { job: 'a', scheduledAt: '2026-01-01T00:00:00.000Z', runId: 'a@2026-01-01T00:00:00.000Z', lastError: null } },
    { case: 'plain JSON (messageEncoding none)', text: JSON.stringify({ job: 'a', lastError: 'boom' }), expected: { ...none, job: 'a', lastError: 'boom' } },
    { case: 'an error as { message }', text: base64({ job: 'a', error: { message: 'timeout', kind: 'timeout' } }), expected: { ...none, job: 'a', lastError: 'timeout' } },
    { case: 'a run id alone gives job and instant', text: base64({ runId: 'db-health@2026-03-01T10:00:00.000Z#2' }), expected: { job: 'db-health', scheduledAt: '2026-03-01T10:00:00.000Z', runId: 'db-health@2026-03-01T10:00:00.000Z#2', lastError: null } },
    { case: 'UTF-8 in base64', text: base64({ job: 'prüfung' }), expected: { ...none, job: 'prüfung' } },
    { case: 'not JSON', text: 'hello', expected: { ...none, unreadable: 'hello' } },
    { case: 'JSON that is no object', text: base64([1, 2]), expected: { ...none, unreadable: base64([1, 2]) } },
    { case: 'fields of the wrong type', text: base64({ job: 7, scheduledAt: false }), expected: none },
  ])('$case', ({ text, expected }) => {
    expect(readDeadLetter(text)).toEqual(expected);
  });
});

describe('DeadLetters (the use case)', () => {
  const world = (now = { at: Date.now() }) => {
    const clock = { now: () => now.at, sleepUntil: async () => undefined };
    const queue = new MemoryDeadLetterQueue(clock);
    const counts = { n: 0 };
    const count = queue.count.bind(queue);
    queue.count = () => (counts.n++, count());
    const deadLetters = new DeadLetters({ queue, audit: new MemoryStore(), clock, logger: new MemoryLogger(), retentionDays: 30 });
    return { now, queue, counts, deadLetters };
  };

  it('ages dead letters out after the retention, and only those', async () => {
    const { now, queue, deadLetters } = world();
    queue.poison(base64({ job: 'old' }));
    now.at += 20 * DAY;
    queue.poison(base64({ job: 'young' }));
    now.at += 11 * DAY;
    expect(await deadLetters.applyRetention()).toMatchObject({ deleted: 1 });
    expect((await deadLetters.list()).deadLetters.map((d) => d.job)).toEqual(['young']);
  });

  it('counts for health once per 30 s, answers a stale count at once while it reads a new one, and is ok when empty', async () => {
    const { now, queue, counts, deadLetters } = world();
    expect(await deadLetters.health()).toMatchObject({ status: 'ok', count: 0 });
    queue.poison('x');
    expect(await deadLetters.health()).toMatchObject({ status: 'ok', count: 0 });
    expect(counts.n).toBe(1);
    now.at += 30_000;
    expect(await deadLetters.health()).toMatchObject({ status: 'ok', count: 0 });
    await Promise.resolve();
    expect(await deadLetters.health()).toMatchObject({ status: 'degraded', count: 1, detail: '1 message in pulsecheck-checks-poison: see GET /api/deadletters' });
    expect(counts.n).toBe(2);
  });

  it('in inline mode lists nothing and refuses a retry with 409 conflict', async () => {
    const deadLetters = new DeadLetters({ queue: undefined, audit: new MemoryStore(), clock: { now: Date.now, sleepUntil: async () => undefined }, logger: new MemoryLogger(), retentionDays: 30 });
    expect(await deadLetters.list()).toEqual({ dispatch: 'inline', queue: null, count: 0, deadLetters: [], truncated: false });
    await expect(deadLetters.retry('x', { name: 'a', via: 'none' })).rejects.toMatchObject({ code: 'conflict' });
    expect(await deadLetters.applyRetention()).toMatchObject({ deleted: 0 });
  });
});
