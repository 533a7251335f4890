import type { ChannelType, Delivery, ResolvedChannel } from '../../domain/alerting/channel.js';
import type { AlertEvent } from '../../domain/alerting/event.js';

/**
 * Sends one alert event to one channel of its type (one adapter per type: src/adapters/notify-*).
 * The channel comes with its secrets resolved; the notifier turns the event into the channel's
 * format (domain/alerting/message.ts for the words). A failed delivery is data, never a rejection:
 * `retryable` says whether trying later may help. Retries and timeouts around it are the caller's.
 */
export interface Notifier {
  /** The channel type this notifier sends to. */
  readonly type: ChannelType;
  send(channel: ResolvedChannel, event: AlertEvent, signal: AbortSignal): Promise<Delivery>;
  /** Releases connections. */
  close(): Promise<void>;
}
