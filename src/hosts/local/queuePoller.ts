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
/**
 * The first wait after an empty poll, in ms: it doubles up to `maxPollingInterval`. Also the wait
 * after a batch smaller than `batchSize`: messages that become visible one after another (queue
 * mode's, 2 s before their instant, in the order they were put) are then taken a few dozen per
 * request rather than one or two, which saves receives and lets their claims share transactions.
 * A full batch is followed by the next request at once.
 */
const MIN_POLL_MS = 100;
/** The most of a failure's message kept in a poisoned message (what `/api/deadletters` shows). */
const MAX_ERROR_CHARS = 500;
/** The text a queue message holds (64 KiB): one too large with its error is poisoned as it was. */
const MAX_MESSAGE_CHARS = 64 * 1024;

/**
 * Polls one Storage queue for a queue-triggered function like the Functions host does, with
 * host.json's `extensions.queues`: `batchSize` messages per request, the next batch when no more
 * than `newBatchThreshold` are in flight (at once after a full batch, 100 ms after a smaller one),
 * empty polls backing off from 100 ms up to `maxPollingInterval`. A message is deleted when its invocation succeeds; one that fails comes back
 * after `visibilityTimeout`, and after `maxDequeueCount` deliveries is copied to `<queue>-poison`
 * and deleted. Message text is decoded per `messageEncoding`; JSON is passed parsed.
 *
 * Unlike the Functions host, which copies a poisoned message as it was, the copy of a JSON object
 * message carries the last failure as `lastError: { message }` (encoded as the message was), so
 * `GET /api/deadletters` shows why (domain/deadLetter.ts reads it). `runCheck` ignores the field,
 * so a retried message runs as before; another message is copied as it was.
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
      if (messages.length < batchSize) await this.#wait(MIN_POLL_MS);
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
    await this.poison.sendMessage(this.#withLastError(message.messageText, failure), { messageTimeToLive: -1 });
    await this.queue.deleteMessage(message.messageId, popReceipt);
  }

  /** `text` with `lastError: { message }` of `failure` added when it holds a JSON object (and still fits a message); else `text`. */
  #withLastError(text: string, failure: unknown): string {
    const body = this.#decode(text);
    if (typeof body !== 'object' || body === null || Array.isArray(body)) return text;
    const message = (failure instanceof Error ? failure.message : String(failure)).slice(0, MAX_ERROR_CHARS);
    const json = JSON.stringify({ ...body, lastError: { message } });
    const encoded = this.options.messageEncoding === 'base64' ? Buffer.from(json, 'utf8').toString('base64') : json;
    return encoded.length > MAX_MESSAGE_CHARS ? text : encoded;
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
