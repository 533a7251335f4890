import { Webhook } from 'standardwebhooks';
import type { Notifier } from '../../app/ports/index.js';
import type { Delivery, ResolvedChannel } from '../../domain/alerting/channel.js';
import type { AlertEvent } from '../../domain/alerting/event.js';
import type { NetworkPolicy } from '../../domain/network.js';
import { GuardedPost, type GuardedPostOptions } from '../target-guard/guardedPost.js';

/**
 * `webhook` channels: the event as JSON `{ type, timestamp, data }`, signed per Standard Webhooks
 * (`webhook-id`: the event id, the same on every retry; `webhook-timestamp`: when sent, in Unix
 * seconds; `webhook-signature`: `v1,<HMAC-SHA256>` with the channel's `whsec_…` key).
 * @see https://github.com/standard-webhooks/standard-webhooks/blob/main/spec/standard-webhooks.md
 */
export class WebhookNotifier implements Notifier {
  readonly type = 'webhook';
  readonly #post: GuardedPost;
  readonly #now: () => number;

  constructor(policy: NetworkPolicy, options: GuardedPostOptions = {}) {
    this.#post = new GuardedPost(policy, options);
    this.#now = options.now ?? Date.now;
  }

  async send(channel: ResolvedChannel, event: AlertEvent, signal: AbortSignal): Promise<Delivery> {
    if (channel.type !== 'webhook') throw new TypeError(`not a webhook channel: ${channel.type}`);
    const body = JSON.stringify({ type: event.type, timestamp: event.timestamp, data: event.data });
    const sentAt = new Date(this.#now());
    let signature: string;
    try {
      signature = new Webhook(channel.signingKey).sign(event.id, sentAt, body);
    } catch {
      return { ok: false, channel: channel.name, retryable: false, message: 'the signing secret is not a Standard Webhooks key (whsec_ followed by base64)' };
    }
    const headers = { 'webhook-id': event.id, 'webhook-timestamp': String(Math.floor(sentAt.getTime() / 1_000)), 'webhook-signature': signature };
    return this.#post.post(channel.name, channel.url, body, headers, signal);
  }

  close(): Promise<void> {
    return this.#post.close();
  }
}
