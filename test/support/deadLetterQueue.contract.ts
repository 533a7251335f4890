import { beforeEach, describe, expect, it } from 'vitest';
import type { DeadLetterQueue } from '../../src/app/ports/index.js';

/** One empty poison queue and its check queue, with a way to fill the one and read the other. */
export interface DeadLetterWorld {
  readonly queue: DeadLetterQueue;
  /** Puts a message on the poison queue, as the queue poller does after the last failed delivery. */
  poison(text: string): Promise<void>;
  /** The texts now on the check queue. */
  requeued(): Promise<string[]>;
}

/** The DeadLetterQueue port's contract: run against the memory fake and the Storage queue (Azurite). */
export function deadLetterQueueContract(name: string, world: () => Promise<DeadLetterWorld>): void {
  describe(`DeadLetterQueue contract: ${name}`, () => {
    let w: DeadLetterWorld;
    beforeEach(async () => {
      w = await world();
    });

    it('is empty at first, and named after its check queue', async () => {
      expect(await w.queue.peek(32)).toEqual([]);
      expect(await w.queue.count()).toBe(0);
      expect(w.queue.name).toBe(`${w.queue.target}-poison`);
    });

    it('shows poisoned messages, oldest first, without taking them', async () => {
      const before = Date.now();
      await w.poison('one');
      await w.poison('two');
      const first = await w.queue.peek(32);
      expect(first.map((m) => m.text)).toEqual(['one', 'two']);
      expect(await w.queue.peek(32)).toEqual(first);
      expect(await w.queue.count()).toBe(2);
      for (const message of first) {
        expect(message.id).toMatch(/^[A-Za-z0-9-]+$/);
        expect(message.insertedOn).toBeGreaterThanOrEqual(before - 2_000);
        expect(message.insertedOn).toBeLessThanOrEqual(Date.now() + 2_000);
        expect(message.dequeueCount).toBe(0);
      }
      expect(await w.queue.peek(1)).toHaveLength(1);
    });

    it('puts one message back on the check queue as it was, and keeps the others visible', async () => {
      await w.poison('one');
      await w.poison('two');
      await w.poison('three');
      const [, second] = await w.queue.peek(32);
      const retried = await w.queue.requeue(second?.id ?? '');
      expect(retried).toMatchObject({ id: second?.id, text: 'two' });
      expect(await w.requeued()).toEqual(['two']);
      expect((await w.queue.peek(32)).map((m) => m.text).sort()).toEqual(['one', 'three']);
      expect(await w.queue.count()).toBe(2);
    });

    it('answers undefined for an id it does not hold, changing nothing', async () => {
      await w.poison('one');
      expect(await w.queue.requeue('00000000-0000-0000-0000-000000000000')).toBeUndefined();
      expect((await w.queue.peek(32)).map((m) => m.text)).toEqual(['one']);
      expect(await w.requeued()).toEqual([]);
    });

    it('deletes only messages put there before the instant, at most max', async () => {
      await w.poison('one');
      await w.poison('two');
      await w.poison('three');
      expect(await w.queue.deleteInsertedBefore(Date.now() - 3_600_000, 100)).toBe(0);
      expect(await w.queue.peek(32)).toHaveLength(3);
      expect(await w.queue.deleteInsertedBefore(Date.now() + 60_000, 2)).toBe(2);
      expect(await w.queue.peek(32)).toHaveLength(1);
      expect(await w.queue.deleteInsertedBefore(Date.now() + 60_000, 100)).toBe(1);
      expect(await w.queue.count()).toBe(0);
      expect(await w.requeued()).toEqual([]);
    });
  });
}
