import { QueueClient } from '@azure/storage-queue';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { QueuePoller } from '../../../src/hosts/local/queuePoller.js';
import { acquireAzurite, releaseAzurite, uniquePrefix } from '../../support/azurite.js';
import { eventually } from '../../support/eventually.js';
import { MemoryLogger } from '../../support/fakes.js';

/** The local host's queue poller on Azurite: how often it asks for messages. */
describe('QueuePoller', () => {
  let connectionString: string;
  beforeAll(async () => {
    connectionString = (await acquireAzurite()).connectionString;
  });
  afterAll(async () => {
    await releaseAzurite();
  });

  it('after a batch smaller than batchSize waits before the next receive, so messages arriving one by one are taken together', async () => {
    const name = uniquePrefix('poll').toLowerCase();
    const queue = new QueueClient(connectionString, name);
    const poison = new QueueClient(connectionString, `${name}-poison`);
    await queue.createIfNotExists();
    // When each receive was asked for, and how many messages it returned.
    const receives: Array<{ at: number; count: number }> = [];
    const receive = queue.receiveMessages.bind(queue);
    queue.receiveMessages = async (options) => {
      const at = performance.now();
      const answer = await receive(options);
      receives.push({ at, count: answer.receivedMessageItems.length });
      return answer;
    };
    const handled: unknown[] = [];
    const options = { batchSize: 32, newBatchThreshold: 480, maxPollingIntervalMs: 1_000, visibilityTimeoutMs: 2_000, maxDequeueCount: 5, messageEncoding: 'none' as const };
    const poller = new QueuePoller('trickle', queue, poison, (body) => void handled.push(body), options, new MemoryLogger());
    poller.start();
    try {
      // A trickle: 40 messages put one after another, as they become visible in queue mode.
      for (let i = 0; i < 40; i++) await queue.sendMessage(JSON.stringify({ i }));
      await eventually(() => expect(handled).toHaveLength(40));
    } finally {
      await poller.stop();
    }
    const partial = receives.slice(0, -1).filter((r) => r.count > 0 && r.count < options.batchSize);
    expect(partial.length).toBeGreaterThan(0);
    for (const [i, r] of receives.entries()) {
      const next = receives[i + 1];
      // The 100 ms wait, less a little for timer rounding.
      if (next && r.count > 0 && r.count < options.batchSize) expect(next.at - r.at).toBeGreaterThanOrEqual(95);
    }
  });
});
