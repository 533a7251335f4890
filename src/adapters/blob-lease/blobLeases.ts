import { randomUUID } from 'node:crypto';
import { createRequire } from 'node:module';
import type { TokenCredential } from '@azure/core-auth';
import type * as StorageBlob from '@azure/storage-blob';
import type { BlobLeaseClient, ContainerClient } from '@azure/storage-blob';
import type { Lease, LeaseProvider, Logger, Renewal } from '../../app/ports/index.js';

/** The Functions host's container for its locks and timer schedules. */
export const HOSTS_CONTAINER = 'azure-webjobs-hosts';

export interface BlobLeasesOptions {
  /** A connection string, or the blob endpoint with an Entra ID credential. */
  readonly connection: { readonly connectionString: string } | { readonly endpoint: string; readonly credential: TokenCredential };
  /** The app's host id (`AzureFunctionsWebHost__hostid`): instances with the same one share the locks. */
  readonly hostId: string;
  readonly logger: Logger;
}

/**
 * Listener locks as blob leases, laid out as the Functions host lays them: container
 * `azure-webjobs-hosts`, blob `locks/<hostId>/Host.Functions.<name>.Listener`. So an instance of
 * the local host and the platform's own would even contend for the same lock.
 */
export class BlobLeases implements LeaseProvider {
  readonly #container: ContainerClient;
  readonly #options: BlobLeasesOptions;
  #created: Promise<void> | undefined;

  constructor(options: BlobLeasesOptions) {
    this.#options = options;
    const { connection } = options;
    // Loaded only when storage is configured (it costs memory otherwise unused).
    const { BlobServiceClient } = createRequire(import.meta.url)('@azure/storage-blob') as typeof StorageBlob;
    // A renewal must be done well within the lease's period (renewed every third of at least 15 s):
    // fail fast and let the next renewal or acquisition try again, rather than the SDK's long retries.
    const retryOptions = { maxTries: 2, retryDelayInMs: 500, maxRetryDelayInMs: 1_000, tryTimeoutInMs: 4_000 };
    const service =
      'connectionString' in connection
        ? BlobServiceClient.fromConnectionString(connection.connectionString, { retryOptions })
        : new BlobServiceClient(connection.endpoint, connection.credential, { retryOptions });
    this.#container = service.getContainerClient(HOSTS_CONTAINER);
  }

  listenerLease(functionName: string, periodMs: number): Lease {
    const path = `locks/${this.#options.hostId}/Host.Functions.${functionName}.Listener`;
    const blob = this.#container.getBlockBlobClient(path);
    // One lease id per instance and lock: renewing and re-acquiring after a lapse use the same one.
    const client = blob.getBlobLeaseClient(randomUUID());
    const seconds = Math.min(60, Math.max(15, Math.round(periodMs / 1_000)));
    return new BlobLease(`${HOSTS_CONTAINER}/${path}`, client, seconds, () => this.#ensureBlob(blob), this.#options.logger);
  }

  /** The container and the (empty) lock blob exist; created once, concurrent creators tolerated. */
  async #ensureBlob(blob: ReturnType<ContainerClient['getBlockBlobClient']>): Promise<void> {
    this.#created ??= this.#container.createIfNotExists().then(
      () => undefined,
      (error: unknown) => {
        this.#created = undefined;
        throw error;
      },
    );
    await this.#created;
    try {
      await blob.upload('', 0, { conditions: { ifNoneMatch: '*' } });
    } catch (error) {
      // 409 (exists, maybe leased) and 412 (exists) mean another instance made it first.
      if (![409, 412].includes(statusOf(error))) throw error;
    }
  }
}

class BlobLease implements Lease {
  #blobReady = false;
  #failing = false;

  constructor(
    readonly name: string,
    private readonly client: BlobLeaseClient,
    private readonly seconds: number,
    private readonly ensureBlob: () => Promise<void>,
    private readonly logger: Logger,
  ) {}

  async acquire(): Promise<boolean> {
    try {
      if (!this.#blobReady) await this.ensureBlob();
      this.#blobReady = true;
      await this.client.acquireLease(this.seconds);
      return this.#ok();
    } catch (error) {
      // 409: another instance holds it (the common case for every instance but one).
      if (statusOf(error) === 409) return this.#ok(false);
      if (statusOf(error) === 404) this.#blobReady = false;
      return this.#failed('acquire', error);
    }
  }

  async renew(): Promise<Renewal> {
    try {
      await this.client.renewLease();
      this.#ok();
      return 'renewed';
    } catch (error) {
      // 409: another instance took it after it lapsed; 404: the lock blob is gone (storage was reset).
      const status = statusOf(error);
      if (status === 404) this.#blobReady = false;
      if (status === 409 || status === 404) {
        this.#ok();
        return 'lost';
      }
      this.#failed('renew', error);
      return 'unreachable';
    }
  }

  async release(): Promise<void> {
    try {
      await this.client.releaseLease();
    } catch (error) {
      // Not held (any more): nothing to give up.
      if (statusOf(error) !== 409) this.logger.warn({ err: error, lock: this.name }, `could not release the lock ${this.name}; it lapses by itself`);
    }
  }

  #ok(result = true): boolean {
    this.#failing = false;
    return result;
  }

  /** Storage did not answer as expected: logged once per failing stretch, and the lease counts as not held. */
  #failed(what: string, error: unknown): false {
    if (!this.#failing) this.logger.warn({ err: error, lock: this.name }, `could not ${what} the lock ${this.name}: ${(error as Error).message.split('\n')[0]}`);
    this.#failing = true;
    return false;
  }
}

const statusOf = (error: unknown): number => (error as { statusCode?: number }).statusCode ?? 0;
