import { MemoryDeadLetterQueue } from './adapters/memory-queue/memoryDeadLetterQueue.js';
import { StorageDeadLetterQueue } from './adapters/storage-queue/storageDeadLetterQueue.js';
import type { AzureIdentity } from './adapters/azure-identity/azureIdentity.js';
import type { Clock, DeadLetterQueue } from './app/ports/index.js';
import type { Settings } from './config/settings.js';
import { lazyCredential } from './compositionStorage.js';

/**
 * The poison queue of queue dispatch (issue 13): in the storage account's Queue service with
 * storage configured, in memory without; none in inline mode.
 */
export function deadLetterQueueFor(settings: Settings, identity: AzureIdentity, clock: Clock): DeadLetterQueue | undefined {
  if (settings.dispatch !== 'queue') return undefined;
  if (settings.storageConnection) return new StorageDeadLetterQueue({ connection: { connectionString: settings.storageConnection } });
  if (settings.storageIdentity) {
    const endpoint = `https://${settings.storageIdentity.accountName}.queue.core.windows.net`;
    return new StorageDeadLetterQueue({ connection: { endpoint, credential: lazyCredential(identity, settings.storageIdentity.clientId) } });
  }
  return new MemoryDeadLetterQueue(clock);
}
