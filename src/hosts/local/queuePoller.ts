import { setTimeout as sleep } from 'node:timers/promises';
import type { StorageQueueHandler } from '@azure/functions';
import type { DequeuedMessageItem, QueueClient } from '@azure/storage-queue';
import type { Logger } from '../../app/ports/index.js';
import type { QueueOptions } from '../../config/hostQueues.js';
import { invocationContext } from './context.js';

/**
 * How long a message taken stays invisible to other instances, in seconds, renewed every third of
 * it while its invocation runs. The Functions host takes 10 minutes; the local host takes less, so a
 * host killed with its messages comes back to them (or another host does) within half a minute.
 */
const LEASE_SECONDS = 30;
/** The first wait after an empty poll, in ms: it doubles up to `maxPollingInterval`. */
const MIN_POLL_MS = 100;

/**
 * Polls one Storage queue for a queue-triggered function like the Functions host does, with
 * host.json's `extensions.queues`: `batchSize` messages per request, the next batch when no more
 * than `newBatchThreshold` are in flight, empty polls backing off from 100 ms up to
 * `maxPollingInterval`. A message is deleted when its invocation succeeds; one that fails comes back
 * after `visibilityTimeout`, and after `maxDequeueCount` deliveries is copied to `<queue>-poison`
 * and deleted. Message text is decoded per `messageEncoding`; JSON is passed parsed.
 */
export class QueuePoller {
  readonly #inFlight = new Set<Promise<void>>();
  readonly #stopping = new AbortController();
  readonly #stopped = new Promise<void>((resolve) => this.#stopping.signal.addEventListener('abort', () => resolve(), { once: true }));
  #loop: Promise<void> | undefined;

  constructor(
    readonly name: string,
    private readonly queue: QueueClient,
    private readonly poison: QueueClient,
    private readonly handler: StorageQueueHandler,
    private readonly options: QueueOptions,
    private readonly logger: Logger,
  ) {}

  start(): void {
    this.#loop ??= this.#poll();
  }

  /** Stops polling and waits for the invocations in flight (the app's shutdown bounds them). */
  async stop(): Promise<void> {
    this.#stopping.abort();
    await this.#loop;
    while (this.#inFlight.size > 0) await Promise.allSettled([...this.#inFlight]);
  }

  async #poll(): Promise<void> {
    const { batchSize, newBatchThreshold, maxPollingIntervalMs } = this.options;
    let ready = false;
    let delay = MIN_POLL_MS;
    while (!this.#stopping.signal.aborted) {
      if (this.#inFlight.size > newBatchThreshold) {
        await Promise.race([...this.#inFlight, this.#stopped]);
        continue;
      }
      let messages: DequeuedMessageItem[] = [];
      try {
        if (!ready) ready = Boolean(await this.queue.createIfNotExists());
        messages = (await this.queue.receiveMessages({ numberOfMessages: batchSize, visibilityTimeout: LEASE_SECONDS })).receivedMessageItems;
      } catch (error) {
        ready = false;
        this.logger.warn({ err: error, function: this.name, queue: this.queue.name }, 'could not poll the queue; trying again');
      }
      if (messages.length === 0) {
        await this.#wait(delay);
        delay = Math.min(delay * 2, maxPollingIntervalMs);
        continue;
      }
      delay = MIN_POLL_MS;
      for (const message of messages) {
        const invocation = this.#process(message).finally(() => this.#inFlight.delete(invocation));
        this.#inFlight.add(invocation);
      }
    }
  }

  /** One delivery: invoke, then delete, release or move to the poison queue. Never rejects. */
  async #process(message: DequeuedMessageItem): Promise<void> {
    const { messageId, dequeueCount } = message;
    let popReceipt = message.popReceipt;
    let renewing: Promise<unknown> = Promise.resolve();
    const renew = setInterval(() => {
      renewing = renewing.then(async () => {
        popReceipt = (await this.queue.updateMessage(messageId, popReceipt, undefined, LEASE_SECONDS)).popReceipt ?? popReceipt;
      }).catch((error: unknown) => this.logger.warn({ err: error, function: this.name, messageId }, 'could not extend the hold on a queue message'));
    }, (LEASE_SECONDS * 1_000) / 3);
    renew.unref();
    let failure: unknown;
    try {
      // Delivered more often than allowed without a recorded failure (its holders died): poison, as the Functions host does.
      if (dequeueCount > this.options.maxDequeueCount) failure = new Error(`delivered ${dequeueCount} times, more than maxDequeueCount`);
      else await this.handler(this.#decode(message.messageText), invocationContext(this.name, this.logger, this.#metadata(message)));
    } catch (error) {
      failure = error;
    }
    clearInterval(renew);
    await renewing;
    try {
      if (failure === undefined) await this.queue.deleteMessage(messageId, popReceipt);
      else if (dequeueCount >= this.options.maxDequeueCount) await this.#moveToPoison(message, popReceipt, failure);
      else {
        this.logger.warn({ err: failure, function: this.name, messageId, dequeueCount }, `${this.name} failed; the message comes back after visibilityTimeout`);
        await this.queue.updateMessage(messageId, popReceipt, undefined, Math.ceil(this.options.visibilityTimeoutMs / 1_000));
      }
    } catch (error) {
      // Its hold ends on its own: the message comes back after LEASE_SECONDS.
      this.logger.warn({ err: error, function: this.name, messageId }, 'could not settle a queue message; it comes back when its hold ends');
    }
  }

  async #moveToPoison(message: DequeuedMessageItem, popReceipt: string, failure: unknown): Promise<void> {
    this.logger.error(
      { err: failure, function: this.name, messageId: message.messageId, dequeueCount: message.dequeueCount, poisonQueue: this.poison.name },
      `${this.name} failed ${message.dequeueCount} times: the message moves to ${this.poison.name}`,
    );
    await this.poison.createIfNotExists();
    await this.poison.sendMessage(message.messageText, { messageTimeToLive: -1 });
    await this.queue.deleteMessage(message.messageId, popReceipt);
  }

  #decode(text: string): unknown {
    const decoded = this.options.messageEncoding === 'base64' ? Buffer.from(text, 'base64').toString('utf8') : text;
    try {
      return JSON.parse(decoded) as unknown;
    } catch {
      return decoded;
    }
  }

  /** What the Functions host puts in `context.triggerMetadata` for a queue trigger. */
  #metadata(message: DequeuedMessageItem): Record<string, unknown> {
    return {
      id: message.messageId,
      dequeueCount: message.dequeueCount,
      popReceipt: message.popReceipt,
      insertionTime: message.insertedOn.toISOString(),
      expirationTime: message.expiresOn.toISOString(),
      nextVisibleTime: message.nextVisibleOn.toISOString(),
      queueTrigger: message.messageText,
    };
  }

  #wait(ms: number): Promise<void> {
    return sleep(ms, undefined, { signal: this.#stopping.signal }).catch(() => undefined);
  }
}
