import type { SecretRef } from '../auth.js';
import type { MessageTemplate } from './message.js';

export const CHANNEL_TYPES = ['pagerduty', 'slack', 'teams', 'webhook', 'email'] as const;
export type ChannelType = (typeof CHANNEL_TYPES)[number];

/**
 * A channel of the jobs file (`channels`), compiled: `${env:}` substituted, `${secret:…}` references
 * left in place (resolved at send time, see `ResolvedChannel`), every secret it names in `secrets`.
 */
export type Channel = {
  readonly name: string;
  readonly template?: MessageTemplate;
  /** Every secret the channel names, each once. */
  readonly secrets: readonly SecretRef[];
} & (
  | { readonly type: 'pagerduty'; readonly routingKey: string; readonly severity: PagerDutySeverity }
  | { readonly type: 'slack' | 'teams'; readonly url: string }
  /** `secret` names the secret that holds the signing key (`whsec_…`). */
  | { readonly type: 'webhook'; readonly url: string; readonly secret: SecretRef }
  | { readonly type: 'email'; readonly to: readonly string[]; readonly from?: string }
);

export type PagerDutySeverity = 'critical' | 'error' | 'warning' | 'info';

/** A channel as a notifier sends to it: references replaced by values; never logged or stored. */
export type ResolvedChannel =
  | { readonly name: string; readonly type: 'pagerduty'; readonly routingKey: string; readonly severity: PagerDutySeverity; readonly template?: MessageTemplate }
  | { readonly name: string; readonly type: 'slack' | 'teams'; readonly url: string; readonly template?: MessageTemplate }
  | { readonly name: string; readonly type: 'webhook'; readonly url: string; readonly signingKey: string; readonly template?: MessageTemplate }
  | { readonly name: string; readonly type: 'email'; readonly to: readonly string[]; readonly from?: string; readonly template?: MessageTemplate };

/**
 * How one delivery went. A failed one is data: `retryable` when trying later may help (HTTP 429 or
 * 5xx, no answer, a timeout), not for a refusal (other 4xx, a blocked target, a bad address).
 */
export type Delivery =
  | { readonly ok: true; readonly channel: string; readonly status?: number; readonly detail: string }
  | {
      readonly ok: false;
      readonly channel: string;
      readonly retryable: boolean;
      readonly status?: number;
      readonly message: string;
      /** From `Retry-After`, in milliseconds, when the receiver said. */
      readonly retryAfterMs?: number;
    };

/** Whether an HTTP answer is a delivery (2xx), one to retry (408, 429, 5xx), or a refusal (other). */
export function classifyStatus(status: number): 'delivered' | 'retryable' | 'refused' {
  if (status >= 200 && status < 300) return 'delivered';
  return status === 408 || status === 429 || status >= 500 ? 'retryable' : 'refused';
}

/** `Retry-After` (seconds or an HTTP date) in milliseconds from `now`; `undefined` when absent or bad. */
export function retryAfterMs(header: string | undefined, now: number): number | undefined {
  if (header === undefined || header.trim() === '') return undefined;
  const seconds = Number(header);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1_000);
  const at = Date.parse(header);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

/** PagerDuty's `dedup_key` of an incident: one per alert, the same for its trigger and resolve. */
export const dedupKey = (job: string, alertId: string): string => `pulsecheck:${job}:${alertId}`;
