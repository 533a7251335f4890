import { randomBytes, randomUUID } from 'node:crypto';
import type { Actor } from '../domain/audit.js';
import { fillSecrets } from '../domain/auth.js';
import type { Channel, ChannelType, Delivery, ResolvedChannel } from '../domain/alerting/channel.js';
import type { AlertEvent } from '../domain/alerting/event.js';
import { notFound } from '../domain/errors.js';
import type { AuditStore, Clock, Notifier } from './ports/index.js';
import type { SecretResolver } from './secrets.js';

export interface AlertChannelsDeps {
  /** The channels of the last good jobs file, by name. */
  readonly channels: () => ReadonlyMap<string, Channel>;
  /** One per channel type. */
  readonly notifiers: readonly Notifier[];
  readonly secrets: SecretResolver;
  readonly clock: Clock;
  /** Where channel tests are recorded. */
  readonly audit: AuditStore;
  /** This instance's location (`PULSECHECK_RUN_LOCATION`), shown in test notifications. */
  readonly location: string;
}

/** What `POST /api/channels/{name}/test` answers: the channel, its type, and how the delivery went. */
export interface ChannelTest {
  readonly channel: string;
  readonly type: ChannelType;
  readonly eventId: string;
  readonly delivery: Delivery;
}

/**
 * The channels of the jobs file as a use case: resolve a channel's secrets and send one event
 * through the notifier of its type. A failed delivery (an unknown channel, a missing secret, a
 * receiver that refuses) is a `Delivery` with `ok: false`, never a rejection, so the outbox that
 * will call `send` (issue 15, second half) decides about retries from `retryable` alone.
 */
export class AlertChannels {
  readonly #deps: AlertChannelsDeps;
  readonly #notifiers: ReadonlyMap<ChannelType, Notifier>;

  constructor(deps: AlertChannelsDeps) {
    this.#deps = deps;
    this.#notifiers = new Map(deps.notifiers.map((notifier) => [notifier.type, notifier]));
  }

  /** Sends `event` to the channel named `name`. */
  async send(name: string, event: AlertEvent, signal: AbortSignal): Promise<Delivery> {
    const channel = this.#deps.channels().get(name);
    if (!channel) return { ok: false, channel: name, retryable: false, message: `channel "${name}" is not defined in the jobs file` };
    const notifier = this.#notifiers.get(channel.type);
    if (!notifier) return { ok: false, channel: name, retryable: false, message: `no notifier sends to ${channel.type} channels` };
    const resolved = await this.#resolve(channel);
    if (typeof resolved === 'string') return { ok: false, channel: name, retryable: true, message: resolved };
    return notifier.send(resolved, event, signal);
  }

  /** Sends a test notification through `name` (`alert.test`), records it in the audit log, and says how it went. */
  async test(name: string, actor: Actor, signal: AbortSignal = new AbortController().signal): Promise<ChannelTest> {
    const channel = this.#deps.channels().get(name);
    if (!channel) throw notFound(`channel "${name}"`);
    const event = this.#testEvent();
    const delivery = await this.send(channel.name, event, signal);
    const after = delivery.ok ? { type: channel.type, ok: true, detail: delivery.detail } : { type: channel.type, ok: false, retryable: delivery.retryable, message: delivery.message };
    await this.#deps.audit.recordAudit({ id: randomUUID(), at: event.timestamp, actor, action: 'channel.test', job: channel.name, before: null, after });
    return { channel: channel.name, type: channel.type, eventId: event.id, delivery };
  }

  /** Releases every notifier's connections. */
  async close(): Promise<void> {
    await Promise.all(this.#deps.notifiers.map((notifier) => notifier.close()));
  }

  /** The channel with its secrets filled in, or why not (names the secret, never a value). */
  async #resolve(channel: Channel): Promise<ResolvedChannel | string> {
    const values = new Map<string, string>();
    for (const ref of channel.secrets) {
      const result = await this.#deps.secrets.resolve(ref);
      if (!result.ok) return result.message;
      values.set(ref.id, result.value);
    }
    const fill = (text: string) => fillSecrets(text, (id) => values.get(id) ?? '');
    const common = { name: channel.name, ...(channel.template ? { template: channel.template } : {}) };
    switch (channel.type) {
      case 'pagerduty':
        return { ...common, type: 'pagerduty', routingKey: fill(channel.routingKey), severity: channel.severity };
      case 'slack':
      case 'teams':
        return { ...common, type: channel.type, url: fill(channel.url) };
      case 'webhook':
        return { ...common, type: 'webhook', url: fill(channel.url), signingKey: values.get(channel.secret.id) ?? '' };
      case 'email':
        return { ...common, type: 'email', to: channel.to, ...(channel.from === undefined ? {} : { from: channel.from }) };
    }
  }

  #testEvent(): AlertEvent {
    const now = this.#deps.clock.now();
    const at = new Date(now).toISOString();
    const id = `test-${now.toString(36)}-${randomBytes(4).toString('hex')}`;
    return {
      id,
      type: 'alert.test',
      timestamp: at,
      data: {
        alertId: id,
        job: 'pulsecheck-test',
        status: 'up',
        since: at,
        failures: 0,
        location: this.#deps.location,
        run: { runId: id, status: 'up', startedAt: at, httpStatus: null, reason: '' },
      },
    };
  }
}
