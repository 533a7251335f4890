import { MemoryDeadLetterQueue } from '../../../src/adapters/memory-queue/memoryDeadLetterQueue.js';
import { deadLetterQueueContract } from '../../support/deadLetterQueue.contract.js';

deadLetterQueueContract('memory', async () => {
  const queue = new MemoryDeadLetterQueue({ now: () => Date.now() });
  return { queue, poison: async (text) => void queue.poison(text), requeued: async () => [...queue.requeued] };
});
