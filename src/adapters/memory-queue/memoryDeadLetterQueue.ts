import { randomUUID } from 'node:crypto';
import type { Clock, DeadLetterQueue, PoisonMessage } from '../../app/ports/index.js';

/**
 * The poison queue in memory: queue mode without storage (one process), and the fake of the
 * contract tests. `poison` puts a message there as the queue poller does; `requeued` holds what
 * went back to the check queue.
 */
export class MemoryDeadLetterQueue implements DeadLetterQueue {
  readonly name: string;
  readonly target: string;
  readonly requeued: string[] = [];
  #messages: PoisonMessage[] = [];

  constructor(
    private readonly clock: Pick<Clock, 'now'>,
    queue = 'pulsecheck-checks',
  ) {
    this.target = queue;
    this.name = `${queue}-poison`;
  }

  /** Puts a message on the poison queue; returns its id. */
  poison(text: string): string {
    const id = randomUUID();
    this.#messages.push({ id, text, insertedOn: this.clock.now(), expiresOn: undefined, dequeueCount: 0 });
    return id;
  }

  async peek(max: number): Promise<PoisonMessage[]> {
    return this.#messages.slice(0, Math.max(1, Math.min(32, max)));
  }

  async count(): Promise<number> {
    return this.#messages.length;
  }

  async requeue(id: string): Promise<PoisonMessage | undefined> {
    const message = this.#messages.find((m) => m.id === id);
    if (!message) return undefined;
    this.requeued.push(message.text);
    this.#messages = this.#messages.filter((m) => m !== message);
    return message;
  }

  async deleteInsertedBefore(before: number, max: number): Promise<number> {
    const old = this.#messages.filter((m) => m.insertedOn < before).slice(0, Math.max(0, max));
    this.#messages = this.#messages.filter((m) => !old.includes(m));
    return old.length;
  }
}
