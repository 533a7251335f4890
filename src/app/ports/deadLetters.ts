/** A message of the poison queue, as storage keeps it. */
export interface PoisonMessage {
  /** The queue's message id (a GUID in Azure Storage and Azurite). */
  readonly id: string;
  /** The message text as stored: the check message, base64 encoded as the Functions host writes it. */
  readonly text: string;
  /** When it was put on the poison queue, epoch ms. */
  readonly insertedOn: number;
  /** When storage drops it by itself (its time-to-live), epoch ms; `undefined`: never. */
  readonly expiresOn: number | undefined;
  /** How often this poison message was taken off its queue (0 until someone reads it). */
  readonly dequeueCount: number;
}

/**
 * The dead-letter queue of queue dispatch (`pulsecheck-checks-poison`, docs/scaling.md): messages
 * whose check failed `maxDequeueCount` times, moved there by the Functions host (or the local host).
 */
export interface DeadLetterQueue {
  /** The poison queue's name, e.g. `pulsecheck-checks-poison`. */
  readonly name: string;
  /** The queue a retried message goes back to, e.g. `pulsecheck-checks`. */
  readonly target: string;
  /** Up to `max` of the oldest messages (at most 32: a queue shows no more at once), without taking them. */
  peek(max: number): Promise<PoisonMessage[]>;
  /** About how many messages there are (the queue's approximate count). */
  count(): Promise<number>;
  /**
   * Puts message `id` back on the target queue, as it is, then removes it from the poison queue;
   * returns it as it was, or `undefined` when no such message is found.
   */
  requeue(id: string): Promise<PoisonMessage | undefined>;
  /** Deletes up to `max` messages put on the poison queue before `before` (epoch ms); returns how many. */
  deleteInsertedBefore(before: number, max: number): Promise<number>;
}
