import { randomUUID } from 'node:crypto';
import type { Actor } from '../domain/audit.js';
import { readDeadLetter } from '../domain/deadLetter.js';
import { notFound, PulsecheckError } from '../domain/errors.js';
import type { AuditStore, Clock, ComponentHealth, DeadLetterQueue, HealthContributor, Logger, PoisonMessage } from './ports/index.js';

export interface DeadLettersDeps {
  /** The poison queue in queue mode; `undefined` in inline mode (there are no dead letters). */
  readonly queue: DeadLetterQueue | undefined;
  readonly audit: AuditStore;
  readonly clock: Clock;
  readonly logger: Logger;
  /** Dead letters older than this many days are deleted by the retention timer (`PULSECHECK_RETENTION_DAYS`). */
  readonly retentionDays: number;
  /** How long `/api/health` reuses the count, in ms. Default 30 000. */
  readonly countTtlMs?: number;
}

/** One dead letter as `GET /api/deadletters` shows it. */
export interface DeadLetterView {
  readonly id: string;
  readonly job: string | null;
  readonly scheduledAt: string | null;
  readonly runId: string | null;
  /** The last failure, when the message carries it. */
  readonly lastError: { readonly message: string } | null;
  /** When it reached the poison queue. */
  readonly deadLetteredAt: string;
  /** When storage drops it by itself; `null`: never. */
  readonly expiresAt: string | null;
  /** How often the poison message itself was taken off its queue (each retry or retention pass looks). */
  readonly dequeueCount: number;
  /** The message text, when it is not a check message Pulsecheck can read. */
  readonly unreadable?: string;
}

export interface DeadLetterList {
  readonly dispatch: 'inline' | 'queue';
  /** The poison queue's name (`null` in inline mode). */
  readonly queue: string | null;
  /** About how many there are (the queue's approximate count). */
  readonly count: number;
  /** The oldest ones, at most 32 (a queue shows no more at once). */
  readonly deadLetters: readonly DeadLetterView[];
  /** More exist than listed. */
  readonly truncated: boolean;
}

const LIST_MAX = 32;
const RETENTION_MAX = 5_000;

/** Dead letters of queue dispatch (docs/scaling.md, Dead letters): list, retry (audited), count for health, retention. */
export class DeadLetters implements HealthContributor {
  readonly name = 'deadLetters';
  readonly #deps: DeadLettersDeps;
  #counted: { at: number; count: number } | undefined;
  #counting: Promise<number> | undefined;

  constructor(deps: DeadLettersDeps) {
    this.#deps = deps;
  }

  async list(): Promise<DeadLetterList> {
    const { queue } = this.#deps;
    if (!queue) return { dispatch: 'inline', queue: null, count: 0, deadLetters: [], truncated: false };
    const [messages, count] = await Promise.all([queue.peek(LIST_MAX), queue.count()]);
    this.#counted = { at: this.#deps.clock.now(), count };
    return { dispatch: 'queue', queue: queue.name, count: Math.max(count, messages.length), deadLetters: messages.map(view), truncated: count > messages.length };
  }

  /** Puts dead letter `id` back on the check queue and records who did it in the audit log. */
  async retry(id: string, actor: Actor): Promise<DeadLetterView & { readonly queue: string }> {
    const { queue, audit, clock } = this.#deps;
    if (!queue) throw new PulsecheckError('conflict', 'queue mode is off (PULSECHECK_DISPATCH=inline): there are no dead letters to retry');
    const message = await queue.requeue(id);
    if (!message) throw notFound(`dead letter "${id}" in ${queue.name}`);
    this.#counted = undefined;
    const shown = view(message);
    await audit.recordAudit({
      id: randomUUID(),
      at: new Date(clock.now()).toISOString(),
      actor,
      action: 'deadletter.retry',
      job: shown.job ?? '',
      before: { queue: queue.name, id: shown.id, runId: shown.runId, scheduledAt: shown.scheduledAt, lastError: shown.lastError, deadLetteredAt: shown.deadLetteredAt },
      after: { queue: queue.target },
    });
    return { ...shown, queue: queue.target };
  }

  /** Deletes dead letters older than the retention (at most 5 000 a call; the next call goes on). */
  async applyRetention(): Promise<{ deleted: number; before: string }> {
    const { queue, clock, retentionDays } = this.#deps;
    const before = clock.now() - retentionDays * 86_400_000;
    const deleted = queue ? await queue.deleteInsertedBefore(before, RETENTION_MAX) : 0;
    if (deleted > 0) this.#counted = undefined;
    return { deleted, before: new Date(before).toISOString() };
  }

  /**
   * `deadLetters` in `/api/health`: `degraded` while there are any (an occurrence that never ran).
   * The count is reused for `countTtlMs`; once known, a stale one is answered at once while a fresh
   * one is read, so health never waits on the queue but the first time (and `Health` bounds that).
   */
  async health(): Promise<ComponentHealth> {
    const { queue, clock, countTtlMs = 30_000 } = this.#deps;
    if (!queue) return { status: 'ok', detail: 'off: PULSECHECK_DISPATCH is inline', configured: false };
    const counted = this.#counted;
    const fresh = counted !== undefined && clock.now() - counted.at < countTtlMs;
    if (!fresh && !this.#counting) {
      const counting = this.#count().finally(() => (this.#counting = undefined));
      // Nobody may wait for it (a stale count is answered): its failure is logged by #count.
      counting.catch(() => undefined);
      this.#counting = counting;
    }
    let count: number;
    try {
      count = fresh || counted ? (counted as { count: number }).count : await (this.#counting as Promise<number>);
    } catch (error) {
      return { status: 'degraded', detail: `${queue.name} could not be counted: ${(error as Error).message.split('\n')[0]}` };
    }
    if (count === 0) return { status: 'ok', detail: `${queue.name} is empty`, count };
    return { status: 'degraded', detail: `${count} message${count === 1 ? '' : 's'} in ${queue.name}: see GET /api/deadletters`, count };
  }

  async #count(): Promise<number> {
    const { queue, clock, logger } = this.#deps;
    try {
      const count = await (queue as DeadLetterQueue).count();
      this.#counted = { at: clock.now(), count };
      return count;
    } catch (error) {
      logger.warn({ err: error }, 'could not count the dead letters');
      throw error;
    }
  }
}

function view(message: PoisonMessage): DeadLetterView {
  const { unreadable, lastError, ...content } = readDeadLetter(message.text);
  return {
    id: message.id,
    ...content,
    lastError: lastError === null ? null : { message: lastError },
    deadLetteredAt: new Date(message.insertedOn).toISOString(),
    expiresAt: message.expiresOn === undefined ? null : new Date(message.expiresOn).toISOString(),
    dequeueCount: message.dequeueCount,
    ...(unreadable === undefined ? {} : { unreadable }),
  };
}
