import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { WriteBehind, type EntityWrite, type SerializedRun } from '../../../src/adapters/table-store/writeBehind.js';
import { unjudgedRun } from '../../../src/domain/run.js';
import { FakeClock, MemoryLogger } from '../../support/fakes.js';

const T = Date.parse('2026-12-02T12:00:00.000Z');

/** Writers whose writes end when the test says so; each call is recorded in order. */
function heldWriters() {
  const calls: Array<{ kind: 'runs' | 'entities'; size: number; done: () => void }> = [];
  const held = (kind: 'runs' | 'entities', size: number) => new Promise<void>((resolve) => calls.push({ kind, size, done: resolve }));
  return {
    calls,
    writers: {
      runs: (_partition: string, runs: readonly SerializedRun[]) => held('runs', runs.length),
      entities: (_table: string, _partition: string, entities: readonly EntityWrite[]) => held('entities', entities.length),
    },
  };
}

describe('WriteBehind', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('never starts the lingering write while an urgent one is in flight, and a flush then ends', async () => {
    // Queue mode's dispatcher host hung here: the linger started a second write beside the urgent
    // one, the first to end cleared the other's mark, and flush() looped on writes that sent nothing.
    const { calls, writers } = heldWriters();
    const writer = new WriteBehind({ writers, logger: new MemoryLogger(), clock: new FakeClock(T), runPartition: () => 'runs' });
    const run = unjudgedRun({ runId: `api@${new Date(T).toISOString()}`, job: 'api', trigger: 'schedule', scheduledAt: T, location: 'test' }, T, 'internal', 'test', 'error');
    await writer.addRun(run); // lingers
    writer.setEntity('State', 'dispatcher', 'cursors', { at: 1 }, true); // written at once
    expect(calls.map((c) => c.kind)).toEqual(['entities']);
    await vi.advanceTimersByTimeAsync(2_000); // the linger ends while the urgent write is in flight
    expect(calls.map((c) => c.kind)).toEqual(['entities']);
    calls[0]?.done();
    await vi.advanceTimersByTimeAsync(0);
    // The lingering run goes as soon as the urgent write ended, without lingering again.
    expect(calls.map((c) => c.kind)).toEqual(['entities', 'runs']);
    const flushed = writer.flush();
    calls[1]?.done();
    await flushed;
    expect(writer.pending).toBe(0);
  });
});
