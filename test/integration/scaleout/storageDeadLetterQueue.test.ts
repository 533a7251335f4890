import { QueueServiceClient } from '@azure/storage-queue';
import { afterAll, beforeAll } from 'vitest';
import { StorageDeadLetterQueue } from '../../../src/adapters/storage-queue/storageDeadLetterQueue.js';
import type { RunningAzurite } from '../../../src/hosts/local/azurite.js';
import { acquireAzurite, releaseAzurite, uniquePrefix } from '../../support/azurite.js';
import { deadLetterQueueContract } from '../../support/deadLetterQueue.contract.js';

let azurite: RunningAzurite;
beforeAll(async () => {
  azurite = await acquireAzurite();
});
afterAll(releaseAzurite);

deadLetterQueueContract('Storage queue (Azurite)', async () => {
  // A queue pair of its own per test: `<name>` and `<name>-poison`.
  const name = uniquePrefix('q').toLowerCase();
  const service = QueueServiceClient.fromConnectionString(azurite.connectionString);
  const queue = new StorageDeadLetterQueue({ connection: { connectionString: azurite.connectionString }, queue: name });
  const poison = service.getQueueClient(`${name}-poison`);
  await poison.createIfNotExists();
  return {
    queue,
    poison: async (text) => void (await poison.sendMessage(text)),
    requeued: async () => (await service.getQueueClient(name).peekMessages({ numberOfMessages: 32 })).peekedMessageItems.map((m) => m.messageText),
  };
});
