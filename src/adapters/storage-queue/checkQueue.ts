import { createRequire } from 'node:module';
import type { TokenCredential } from '@azure/core-auth';
import type * as StorageQueue from '@azure/storage-queue';
import type { QueueClient } from '@azure/storage-queue';
import type { CheckQueue, QueuedOccurrence } from '../../app/ports/index.js';

// Loaded on first use: inline mode never pays for the SDK.
const require = createRequire(import.meta.url);
const sdk = (): typeof StorageQueue => require('@azure/storage-queue') as typeof StorageQueue;

/** A connection string (`UseDevelopmentStorage=true` for Azurite), or a queue endpoint and an identity. */
export type QueueConnection = { readonly connectionString: string } | { readonly endpoint: string; readonly credential: TokenCredential };

/** Put Message requests in flight at once (one message per request: the service has no batch put). */
const CONCURRENCY = 32;

/** Builds the client of queue `name`. */
export function queueClient(connection: QueueConnection, name: string): QueueClient {
  const { QueueClient } = sdk();
  const options = { retryOptions: { maxTries: 3, retryDelayInMs: 100, maxRetryDelayInMs: 1_000 } };
  return 'endpoint' in connection
    ? new QueueClient(`${connection.endpoint.replace(/\/$/, '')}/${name}`, connection.credential, options)
    : new QueueClient(connection.connectionString, name, options);
}

/**
 * The Storage queue `pulsecheck-checks` (queue mode): one message per occurrence, base64-encoded
 * JSON as the Functions host expects (`messageEncoding: base64`, its default), visible after its
 * delay, kept until it is consumed (no expiry: an occurrence is never dropped unseen). The queue is
 * created on first use.
 */
export class StorageCheckQueue implements CheckQueue {
  readonly #client: QueueClient;
  #ready: Promise<unknown> | undefined;

  constructor(connection: QueueConnection, name: string) {
    this.#client = queueClient(connection, name);
  }

  async enqueue(occurrences: readonly QueuedOccurrence[]): Promise<{ sent: number; error?: unknown }> {
    try {
      await (this.#ready ??= this.#client.createIfNotExists().catch((error: unknown) => {
        this.#ready = undefined;
        throw error;
      }));
    } catch (error) {
      return { sent: 0, error };
    }
    // In order, CONCURRENCY at a time: what was sent is a prefix, up to the first failure.
    const done: boolean[] = new Array<boolean>(occurrences.length).fill(false);
    let firstError: unknown;
    let next = 0;
    const worker = async () => {
      while (next < occurrences.length && firstError === undefined) {
        const i = next++;
        const { message, delaySeconds } = occurrences[i] as QueuedOccurrence;
        try {
          await this.#client.sendMessage(Buffer.from(JSON.stringify(message)).toString('base64'), { visibilityTimeout: delaySeconds, messageTimeToLive: -1 });
          done[i] = true;
        } catch (error) {
          firstError ??= error;
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(CONCURRENCY, occurrences.length) }, worker));
    const sent = done.indexOf(false);
    return sent === -1 ? { sent: occurrences.length } : { sent, error: firstError };
  }
}
