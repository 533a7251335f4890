import type { Notifier } from '../../app/ports/index.js';
import { dedupKey, type Delivery, type ResolvedChannel } from '../../domain/alerting/channel.js';
import type { AlertEvent } from '../../domain/alerting/event.js';
import { composeMessage } from '../../domain/alerting/message.js';
import type { NetworkPolicy } from '../../domain/network.js';
import { GuardedPost, type GuardedPostOptions } from '../target-guard/guardedPost.js';

/** PagerDuty's Events API v2 endpoint. */
export const PAGERDUTY_EVENTS_URL = 'https://events.pagerduty.com/v2/enqueue';

export interface PagerDutyNotifierOptions extends GuardedPostOptions {
  /** The Events API v2 endpoint. Default `PAGERDUTY_EVENTS_URL` (tests point it at a fake). */
  readonly url?: string;
}

/**
 * `pagerduty` channels: Events API v2. A trigger (and each reminder, which PagerDuty folds into the
 * open incident) and its resolve share one `dedup_key`, `pulsecheck:<job>:<alertId>`, so no key has
 * to be stored. A test triggers and resolves at once.
 * @see https://developer.pagerduty.com/docs/events-api-v2/trigger-events/
 */
export class PagerDutyNotifier implements Notifier {
  readonly type = 'pagerduty';
  readonly #post: GuardedPost;
  readonly #url: string;

  constructor(policy: NetworkPolicy, options: PagerDutyNotifierOptions = {}) {
    this.#post = new GuardedPost(policy, options);
    this.#url = options.url ?? PAGERDUTY_EVENTS_URL;
  }

  async send(channel: ResolvedChannel, event: AlertEvent, signal: AbortSignal): Promise<Delivery> {
    if (channel.type !== 'pagerduty') throw new TypeError(`not a pagerduty channel: ${channel.type}`);
    const key = dedupKey(event.data.job, event.data.alertId);
    const enqueue = (action: 'trigger' | 'resolve') => this.#post.post(channel.name, this.#url, JSON.stringify(body(action)), {}, signal);
    const body = (action: 'trigger' | 'resolve') => {
      const message = composeMessage(event, channel.template);
      const base = { routing_key: channel.routingKey, event_action: action, dedup_key: key };
      if (action === 'resolve') return base;
      return {
        ...base,
        payload: {
          summary: `${message.title}: ${message.text}`.slice(0, 1_024),
          source: event.data.location || 'pulsecheck',
          severity: event.type === 'alert.test' ? 'info' : channel.severity,
          timestamp: event.timestamp,
          component: event.data.job,
          custom_details: Object.fromEntries(message.facts),
        },
        client: 'Pulsecheck',
      };
    };
    if (event.type === 'alert.resolved') return enqueue('resolve');
    const triggered = await enqueue('trigger');
    return event.type === 'alert.test' && triggered.ok ? enqueue('resolve') : triggered;
  }

  close(): Promise<void> {
    return this.#post.close();
  }
}
