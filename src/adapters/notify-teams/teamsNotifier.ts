import type { Notifier } from '../../app/ports/index.js';
import type { Delivery, ResolvedChannel } from '../../domain/alerting/channel.js';
import type { AlertEvent } from '../../domain/alerting/event.js';
import { composeMessage, type Message } from '../../domain/alerting/message.js';
import type { NetworkPolicy } from '../../domain/network.js';
import { GuardedPost, type GuardedPostOptions } from '../target-guard/guardedPost.js';

/**
 * A Workflows ("Post to a channel when a webhook request is received") message: one Adaptive Card,
 * version 1.4, as Teams renders 1.5+ poorly. The Office 365 connectors are retired.
 */
export function teamsPayload(message: Message): Record<string, unknown> {
  const style = message.tone === 'bad' ? 'attention' : message.tone === 'good' ? 'good' : 'accent';
  return {
    type: 'message',
    attachments: [
      {
        contentType: 'application/vnd.microsoft.card.adaptive',
        contentUrl: null,
        content: {
          $schema: 'http://adaptivecards.io/schemas/adaptive-card.json',
          type: 'AdaptiveCard',
          version: '1.4',
          body: [
            { type: 'Container', style, items: [{ type: 'TextBlock', text: message.title, weight: 'Bolder', size: 'Medium', wrap: true }] },
            { type: 'TextBlock', text: message.text, wrap: true },
            { type: 'FactSet', facts: message.facts.map(([title, value]) => ({ title, value })) },
          ],
          msteams: { width: 'Full' },
        },
      },
    ],
  };
}

/** `teams` channels: a Microsoft Teams Workflows webhook (its URL carries the signature: a secret). */
export class TeamsNotifier implements Notifier {
  readonly type = 'teams';
  readonly #post: GuardedPost;

  constructor(policy: NetworkPolicy, options: GuardedPostOptions = {}) {
    this.#post = new GuardedPost(policy, options);
  }

  async send(channel: ResolvedChannel, event: AlertEvent, signal: AbortSignal): Promise<Delivery> {
    if (channel.type !== 'teams') throw new TypeError(`not a teams channel: ${channel.type}`);
    const body = JSON.stringify(teamsPayload(composeMessage(event, channel.template)));
    return this.#post.post(channel.name, channel.url, body, {}, signal);
  }

  close(): Promise<void> {
    return this.#post.close();
  }
}
