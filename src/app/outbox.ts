import { ExponentialBackoff, type IBackoff } from 'cockatiel';
import type { Delivery } from '../domain/alerting/channel.js';
import type { AlertEvent } from '../domain/alerting/event.js';
import type { Clock, ComponentHealth, HealthContributor, Logger, OutboxEntry, OutboxStore } from './ports/index.js';

export interface OutboxPumpDeps {
  readonly store: OutboxStore;
  /** Sends one event to one channel; a failed delivery is data (AlertChannels.send). */
  readonly channels: { send(name: string, event: AlertEvent, signal: AbortSignal): Promise<Delivery> };
  readonly clock: Clock;
  readonly logger: Logger;
  /** Tries of a delivery before it is dead-lettered. Default 8. */
  readonly maxAttempts?: number;
  /** Delay before the second try, in ms; each next one about doubles (cockatiel's exponential backoff with jitter). Default 5 000. */
  readonly initialDelayMs?: number;
  /** Longest delay between tries, in ms. Default 600 000 (10 minutes). */
  readonly maxDelayMs?: number;
  /** How long a claimed row is this instance's, in ms: longer than a delivery may take (15 s). Default 60 000. */
  readonly leaseMs?: number;
  /** Rows read per pass. Default 100. */
  readonly batchSize?: number;
}

/**
 * Sends the outbox (alert deliveries queued with the alert state, see app/alerting.ts) through the
 * channels: each due row is claimed with a lease first, so two instances never send the same row;
 * the rows of one channel go one after another and the channels in parallel, so a channel that is
 * down delays only its own rows. A failed try is tried again later, the delay growing exponentially
 * (cockatiel's backoff, or the receiver's `Retry-After` when longer); a refused one, or the last
 * try, makes the row a dead letter, counted in `/api/health`. Runs after every commit that queued
 * deliveries and on every dispatcher tick (`kick`), one pass at a time; never throws.
 */
export class OutboxPump implements HealthContributor {
  readonly name = 'alerts';
  readonly #deps: OutboxPumpDeps;
  readonly #backoff: ExponentialBackoff<unknown>;
  #running: Promise<void> | undefined;
  #again = false;
  #dead = 0;

  constructor(deps: OutboxPumpDeps) {
    this.#deps = deps;
    this.#backoff = new ExponentialBackoff({ initialDelay: deps.initialDelayMs ?? 5_000, maxDelay: deps.maxDelayMs ?? 600_000 });
  }

  /** Starts a pass, or another after the one running. Returns at once. */
  kick(): void {
    if (this.#running) {
      this.#again = true;
      return;
    }
    this.#running = (async () => {
      do {
        this.#again = false;
        await this.#pass().catch((error: unknown) => this.#deps.logger.error({ err: error }, 'the alert outbox could not be read; trying again at the next tick'));
      } while (this.#again);
    })().finally(() => (this.#running = undefined));
  }

  /** Resolves when no pass is running (shutdown, tests). */
  async settled(): Promise<void> {
    while (this.#running) await this.#running;
  }

  /** Dead letters: `degraded` while there are any (they are in the store until removed). */
  async health(): Promise<ComponentHealth> {
    this.#dead = await this.#deps.store.countDeadDeliveries();
    if (this.#dead === 0) return { status: 'ok', detail: 'no undelivered alert notifications', deadLetters: 0 };
    return { status: 'degraded', detail: `${this.#dead} alert notification${this.#dead === 1 ? '' : 's'} could not be delivered after the last try (dead letters; see the logs)`, deadLetters: this.#dead };
  }

  async #pass(): Promise<void> {
    const { store, clock, batchSize = 100 } = this.#deps;
    const due = await store.dueDeliveries(clock.now(), batchSize);
    const byChannel = new Map<string, OutboxEntry[]>();
    for (const entry of due) byChannel.set(entry.channel, [...(byChannel.get(entry.channel) ?? []), entry]);
    let stalled = false;
    await Promise.all(
      [...byChannel.values()].map(async (entries) => {
        // A channel that fails keeps its other rows for the next pass: one wait per down channel.
        for (const entry of entries) {
          if ((await this.#deliver(entry)) === 'failed') {
            stalled = true;
            break;
          }
        }
      }),
    );
    // A full batch all handled: there may be more due.
    if (due.length === batchSize && !stalled) this.#again = true;
  }

  /** One row: claimed, sent, and completed or rescheduled. */
  async #deliver(entry: OutboxEntry): Promise<'done' | 'failed'> {
    const { store, clock, channels, logger, leaseMs = 60_000, maxAttempts = 8 } = this.#deps;
    try {
      const claimed = await store.claimDelivery(entry, clock.now() + leaseMs);
      if (!claimed) return 'done';
      const delivery = await channels.send(claimed.channel, claimed.event, AbortSignal.timeout(leaseMs / 2));
      if (delivery.ok) {
        await store.completeDelivery(claimed);
        logger.info({ event: 'alert-delivered', job: claimed.job, channel: claimed.channel, eventId: claimed.event.id, type: claimed.event.type, attempts: claimed.attempts + 1 }, 'alert delivered');
        return 'done';
      }
      const attempts = claimed.attempts + 1;
      const dead = !delivery.retryable || attempts >= maxAttempts;
      const dueAt = clock.now() + Math.max(this.#delay(attempts), delivery.retryAfterMs ?? 0);
      await store.failDelivery(claimed, { attempts, dueAt, lastError: delivery.message, dead });
      const fields = { event: dead ? 'alert-dead-letter' : 'alert-retry', job: claimed.job, channel: claimed.channel, eventId: claimed.event.id, attempts, error: delivery.message };
      if (dead) logger.error(fields, 'alert notification not delivered after its last try (dead letter)');
      else logger.warn({ ...fields, nextTryAt: new Date(dueAt).toISOString() }, 'alert notification not delivered; trying again later');
      return dead ? 'done' : 'failed';
    } catch (error) {
      // The lease runs out and the row is tried again.
      logger.error({ err: error, job: entry.job, channel: entry.channel, eventId: entry.event.id }, 'the alert outbox could not be updated');
      return 'failed';
    }
  }

  /** The delay after `attempts` tries, in ms. */
  #delay(attempts: number): number {
    let backoff: IBackoff<unknown> = this.#backoff.next();
    for (let i = 1; i < attempts; i++) backoff = backoff.next(undefined);
    return backoff.duration;
  }
}
