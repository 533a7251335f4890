import type { Notifier } from '../../app/ports/index.js';
import type { Delivery, ResolvedChannel } from '../../domain/alerting/channel.js';
import type { AlertEvent } from '../../domain/alerting/event.js';
import { composeMessage, type Message } from '../../domain/alerting/message.js';
import type { NetworkPolicy } from '../../domain/network.js';
import { GuardedPost, type GuardedPostOptions } from '../target-guard/guardedPost.js';

/** Slack's limit for a section's text is 3 000 characters; stay well below it. */
const MAX_TEXT = 2_800;

/** `&`, `<` and `>` escaped as Slack asks, so `<!channel>` in a reason cannot mention anyone. */
export const escapeSlack = (text: string): string => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

const cut = (text: string, max: number) => (text.length > max ? `${text.slice(0, max - 1)}…` : text);

/** An incoming-webhook message: blocks for the app, `text` as the notification fallback. */
export function slackPayload(message: Message): Record<string, unknown> {
  const icon = message.tone === 'bad' ? ':red_circle:' : message.tone === 'good' ? ':large_green_circle:' : ':information_source:';
  return {
    text: cut(escapeSlack(`${message.title}: ${message.text}`), MAX_TEXT),
    blocks: [
      { type: 'section', text: { type: 'mrkdwn', text: cut(`${icon} *${escapeSlack(message.title)}*`, MAX_TEXT) } },
      { type: 'section', text: { type: 'mrkdwn', text: cut(escapeSlack(message.text), MAX_TEXT) } },
      { type: 'section', fields: message.facts.slice(0, 10).map(([label, value]) => ({ type: 'mrkdwn', text: cut(`*${escapeSlack(label)}*\n${escapeSlack(value)}`, 1_900) })) },
      { type: 'context', elements: [{ type: 'mrkdwn', text: 'Sent by Pulsecheck' }] },
    ],
  };
}

/** `slack` channels: a Slack incoming webhook (the URL is the secret). */
export class SlackNotifier implements Notifier {
  readonly type = 'slack';
  readonly #post: GuardedPost;

  constructor(policy: NetworkPolicy, options: GuardedPostOptions = {}) {
    this.#post = new GuardedPost(policy, options);
  }

  async send(channel: ResolvedChannel, event: AlertEvent, signal: AbortSignal): Promise<Delivery> {
    if (channel.type !== 'slack') throw new TypeError(`not a slack channel: ${channel.type}`);
    const body = JSON.stringify(slackPayload(composeMessage(event, channel.template)));
    return this.#post.post(channel.name, channel.url, body, {}, signal);
  }

  close(): Promise<void> {
    return this.#post.close();
  }
}
