import { createRequire } from 'node:module';
import type { TokenCredential } from '@azure/core-auth';
import type * as StorageQueue from '@azure/storage-queue';
import type { DequeuedMessageItem, QueueClient } from '@azure/storage-queue';
import type { DeadLetterQueue, PoisonMessage } from '../../app/ports/index.js';

export interface StorageDeadLetterQueueOptions {
  /** A connection string, or the queue endpoint with an Entra ID credential. */
  readonly connection: { readonly connectionString: string } | { readonly endpoint: string; readonly credential: TokenCredential };
  /** The check queue; its dead letters are in `<queue>-poison`. Default `pulsecheck-checks`. */
  readonly queue?: string;
}

/** Messages taken per request while looking through the poison queue (the most a queue gives). */
const BATCH = 32;
/** Requests a retry or a retention pass makes at most: the first 320 messages are reached. */
const MAX_BATCHES = 10;
/** How long messages looked at stay hidden if this process dies before showing them again, in s. */
const HIDDEN_SECONDS = 30;

/**
 * The poison queue in Azure Storage (Azurite locally). A queue has no "get by id": a retry takes
 * messages (hidden for 30 s) until it meets the one asked for, and shows the others again at once;
 * retention does the same with the old ones. Each look increments a message's dequeue count.
 */
export class StorageDeadLetterQueue implements DeadLetterQueue {
  readonly name: string;
  readonly target: string;
  readonly #poison: QueueClient;
  readonly #checks: QueueClient;
  #created: Promise<unknown> | undefined;

  constructor(options: StorageDeadLetterQueueOptions) {
    this.target = options.queue ?? 'pulsecheck-checks';
    this.name = `${this.target}-poison`;
    // Loaded only in queue mode (it costs memory otherwise unused).
    const { QueueServiceClient } = createRequire(import.meta.url)('@azure/storage-queue') as typeof StorageQueue;
    const { connection } = options;
    const service =
      'connectionString' in connection ? QueueServiceClient.fromConnectionString(connection.connectionString) : new QueueServiceClient(connection.endpoint, connection.credential);
    this.#poison = service.getQueueClient(this.name);
    this.#checks = service.getQueueClient(this.target);
  }

  async peek(max: number): Promise<PoisonMessage[]> {
    await this.#exist();
    const { peekedMessageItems } = await this.#poison.peekMessages({ numberOfMessages: Math.max(1, Math.min(BATCH, max)) });
    return peekedMessageItems.map((m) => poisonMessage(m));
  }

  async count(): Promise<number> {
    await this.#exist();
    return (await this.#poison.getProperties()).approximateMessagesCount ?? 0;
  }

  async requeue(id: string): Promise<PoisonMessage | undefined> {
    let found: PoisonMessage | undefined;
    await this.#lookThrough(async (message) => {
      if (message.messageId !== id) return 'other';
      // Sent first, deleted after: a crash in between leaves a duplicate, which the run id absorbs, never a loss.
      await this.#checks.sendMessage(message.messageText);
      await this.#poison.deleteMessage(message.messageId, message.popReceipt);
      found = poisonMessage(message);
      return 'done';
    });
    return found;
  }

  async deleteInsertedBefore(before: number, max: number): Promise<number> {
    let deleted = 0;
    if (max <= 0) return 0;
    await this.#lookThrough(async (message) => {
      if (message.insertedOn.getTime() >= before) return 'other';
      await this.#poison.deleteMessage(message.messageId, message.popReceipt);
      deleted++;
      return deleted >= max ? 'done' : 'taken';
    });
    return deleted;
  }

  /**
   * Takes batches of messages (hidden meanwhile, so each batch brings new ones) and `visit`s each:
   * `taken` (it dealt with it), `other` (to be shown again), `done` (taken, and the search ends).
   * Every `other` message is shown again at once when the search ends, however it ends.
   */
  async #lookThrough(visit: (message: DequeuedMessageItem) => Promise<'taken' | 'other' | 'done'>): Promise<void> {
    await this.#exist();
    const others: DequeuedMessageItem[] = [];
    try {
      for (let batch = 0; batch < MAX_BATCHES; batch++) {
        const { receivedMessageItems } = await this.#poison.receiveMessages({ numberOfMessages: BATCH, visibilityTimeout: HIDDEN_SECONDS });
        if (receivedMessageItems.length === 0) return;
        let done = false;
        for (const message of receivedMessageItems) {
          const outcome = done ? 'other' : await visit(message);
          if (outcome === 'other') others.push(message);
          if (outcome === 'done') done = true;
        }
        if (done) return;
      }
    } finally {
      await Promise.all(others.map((m) => this.#poison.updateMessage(m.messageId, m.popReceipt, undefined, 0).catch(() => undefined)));
    }
  }

  #exist(): Promise<unknown> {
    this.#created ??= Promise.all([this.#poison.createIfNotExists(), this.#checks.createIfNotExists()]).catch((error: unknown) => {
      this.#created = undefined;
      throw error;
    });
    return this.#created;
  }
}

/** Storage's "never expires" is 31 December 9999. */
const NEVER = Date.UTC(9999, 0, 1);

function poisonMessage(m: { messageId: string; messageText: string; insertedOn: Date; expiresOn: Date; dequeueCount: number }): PoisonMessage {
  const expires = m.expiresOn?.getTime();
  return {
    id: m.messageId,
    text: m.messageText,
    insertedOn: m.insertedOn.getTime(),
    expiresOn: expires === undefined || Number.isNaN(expires) || expires >= NEVER ? undefined : expires,
    dequeueCount: m.dequeueCount,
  };
}
