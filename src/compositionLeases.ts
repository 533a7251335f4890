import { BlobLeases } from './adapters/blob-lease/blobLeases.js';
import type { AzureIdentity } from './adapters/azure-identity/azureIdentity.js';
import type { LeaseProvider, Logger } from './app/ports/index.js';
import type { Settings } from './config/settings.js';
import { lazyCredential } from './compositionStorage.js';

/**
 * The timers' listener locks (issue 13) in the app's storage account, named by its host id: blob
 * leases with a connection string or an identity-based account; none without storage (then this is
 * the only instance that counts, and every timer runs).
 */
export function leasesFor(settings: Settings, logger: Logger, identity: AzureIdentity): LeaseProvider | undefined {
  const hostId = settings.hostId;
  if (!hostId) return undefined;
  if (settings.storageConnection) return new BlobLeases({ connection: { connectionString: settings.storageConnection }, hostId, logger });
  if (settings.storageIdentity) {
    const endpoint = `https://${settings.storageIdentity.accountName}.blob.core.windows.net`;
    return new BlobLeases({ connection: { endpoint, credential: lazyCredential(identity, settings.storageIdentity.clientId) }, hostId, logger });
  }
  return undefined;
}
