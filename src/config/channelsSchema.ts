import { z } from 'zod';
import { findSecretRefs, parseSecretRef, SECRET_ID, SECRET_ID_RULE, type SecretRef } from '../domain/auth.js';
import { CHANNEL_TYPES, type Channel } from '../domain/alerting/channel.js';
import { PLACEHOLDERS, unknownPlaceholders, type MessageTemplate } from '../domain/alerting/message.js';
import type { Issue } from '../domain/errors.js';
import { substituteEnv, type Env } from './substitute.js';

/**
 * `channels` of the jobs file (docs/alerting.md): where alerts go, defined once and named by jobs'
 * `alerts`. API jobs may name channels, never define them. Secrets are references, as everywhere.
 */

export const CHANNEL_NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_-]{0,62}$/;

const template = z
  .strictObject({
    title: z.string().min(1).max(300).optional(),
    text: z.string().min(1).max(3_000).optional(),
  })
  .describe(`The channel's own title and text; placeholders: ${PLACEHOLDERS.map((p) => `{{${p}}}`).join(', ')}.`)
  .optional();

const url = (what: string) => z.string().min(1).describe(`${what} (https URL); may be, or contain, \${secret:name} and \${env:NAME}.`);
const secretName = z.string().regex(SECRET_ID, `must name a Key Vault secret: ${SECRET_ID_RULE}`);
const email = z.email({ error: 'must be an e-mail address' });

export const channelSchema = z
  .discriminatedUnion(
    'type',
    [
      z
        .strictObject({
          type: z.literal('pagerduty'),
          routingKey: z.string().min(1).describe('Events API v2 integration key; write it as ${secret:name}.'),
          severity: z.enum(['critical', 'error', 'warning', 'info']).optional().describe('PagerDuty severity of triggers. Default critical.'),
          template,
        })
        .describe('PagerDuty Events API v2: trigger and resolve, one dedup_key per alert.'),
      z.strictObject({ type: z.literal('slack'), url: url('Slack incoming webhook URL'), template }).describe('Slack incoming webhook (blocks).'),
      z.strictObject({ type: z.literal('teams'), url: url('Teams Workflows webhook URL'), template }).describe('Microsoft Teams Workflows webhook (Adaptive Card 1.4).'),
      z
        .strictObject({
          type: z.literal('webhook'),
          url: url('Receiver URL'),
          secret: secretName.describe('Key Vault secret holding the signing key (whsec_…): a reference, never the value.'),
          template,
        })
        .describe('JSON event signed per Standard Webhooks (webhook-id, webhook-timestamp, webhook-signature).'),
      z
        .strictObject({
          type: z.literal('email'),
          to: z.array(email).min(1).max(50).describe('Recipients.'),
          from: email.optional().describe('Sender. Default PULSECHECK_SMTP_FROM.'),
          template,
        })
        .describe('E-mail over SMTP (PULSECHECK_SMTP_URL).'),
    ],
    { error: (issue) => (issue.code === 'invalid_union' ? `expected one of ${CHANNEL_TYPES.map((t) => `"${t}"`).join(', ')}` : undefined) },
  )
  .meta({ id: 'channel' });

export const channelsSchema = z
  .record(z.string().regex(CHANNEL_NAME_PATTERN, 'must be 1-63 letters, digits, "-" or "_", starting with a letter or digit'), channelSchema)
  .describe('Notification channels, by name; jobs name them in `alerts[].channels`.');

export type ChannelInput = z.infer<typeof channelSchema>;

/**
 * Compiles structurally valid channels: substitutes `${env:NAME}`, checks `${secret:…}` references,
 * URLs (those without a secret reference: the others are checked when sent) and template placeholders.
 * Every problem names the channel and the field, e.g. `channels.platform.url`.
 */
export function compileChannels(input: Readonly<Record<string, ChannelInput>>, env: Env): { channels: Map<string, Channel>; issues: Issue[] } {
  const issues: Issue[] = [];
  const channels = new Map<string, Channel>();
  for (const [name, raw] of Object.entries(input)) {
    const problem = (field: string, message: string) => issues.push({ path: `channels.${name}.${field}`, message: `channels.${name}.${field} ${message}` });
    const secrets = new Map<string, SecretRef>();
    const text = (field: string, value: string): string => {
      const result = substituteEnv(value, env);
      for (const missing of [...result.missing, ...result.unresolved]) problem(field, `references \${env:${missing}}, which is not set`);
      const found = findSecretRefs(result.text);
      for (const message of found.problems) problem(field, message);
      for (const ref of found.refs) secrets.set(ref.id, ref);
      return result.text;
    };
    const link = (value: string): string => {
      const filled = text('url', value);
      const checkable = findSecretRefs(filled).refs.length === 0;
      if (checkable && (!URL.canParse(filled) || !/^https?:$/.test(new URL(filled).protocol))) problem('url', `"${value}" is not an absolute http(s) URL`);
      return filled;
    };
    for (const field of ['title', 'text'] as const) {
      const unknown = unknownPlaceholders(raw.template?.[field] ?? '');
      if (unknown.length > 0) problem(`template.${field}`, `has unknown placeholders ${unknown.map((p) => `{{${p}}}`).join(', ')} (known: ${PLACEHOLDERS.join(', ')})`);
    }
    const common = { name, ...(raw.template ? { template: raw.template as MessageTemplate } : {}) };
    let channel: Channel;
    switch (raw.type) {
      case 'pagerduty':
        channel = { ...common, type: 'pagerduty', routingKey: text('routingKey', raw.routingKey), severity: raw.severity ?? 'critical', secrets: [] };
        break;
      case 'slack':
      case 'teams':
        channel = { ...common, type: raw.type, url: link(raw.url), secrets: [] };
        break;
      case 'webhook': {
        const secret = parseSecretRef(raw.secret) as SecretRef;
        secrets.set(secret.id, secret);
        channel = { ...common, type: 'webhook', url: link(raw.url), secret, secrets: [] };
        break;
      }
      case 'email':
        channel = { ...common, type: 'email', to: raw.to, ...(raw.from === undefined ? {} : { from: raw.from }), secrets: [] };
        break;
    }
    channels.set(name, { ...channel, secrets: [...secrets.values()] });
  }
  return { channels, issues };
}

/** The answer of `POST /api/channels/{name}/test` (app/channels.ts `ChannelTest`). */
export const channelTestSchema = z
  .strictObject({
    channel: z.string(),
    type: z.enum(CHANNEL_TYPES),
    eventId: z.string().describe('The test event\'s id (`webhook-id` of a webhook).'),
    delivery: z.union([
      z.strictObject({ ok: z.literal(true), channel: z.string(), status: z.int().optional(), detail: z.string() }),
      z.strictObject({
        ok: z.literal(false),
        channel: z.string(),
        retryable: z.boolean().describe('Whether trying later may help (429, 5xx, no answer), or not (another 4xx, a refused address, a missing setting).'),
        status: z.int().optional(),
        message: z.string(),
        retryAfterMs: z.number().optional(),
      }),
    ]),
  })
  .describe('What happened to a test notification.');

/** The answer of `GET /api/alerts` (app/alertViews.ts `TriggeredAlert`). */
export const alertListSchema = z
  .strictObject({
    alerts: z.array(
      z.strictObject({
        job: z.string(),
        rule: z.int().describe('The rule\'s position in the job\'s `alerts`.'),
        alertId: z.string().describe('The incident: `data.alertId` of its events.'),
        since: z.string().describe('ISO 8601 instant of the first failed run.'),
        failures: z.int().describe('Consecutive failed runs so far.'),
        location: z.string().describe('Where it failed; with `minLocations`, every failing location, comma-separated.'),
        channels: z.array(z.string()),
        notifiedAt: z.string().nullable().describe('ISO 8601 instant of the last notification (trigger or reminder).'),
      }),
    ),
  })
  .describe('The triggered alerts, the longest-running first.');
