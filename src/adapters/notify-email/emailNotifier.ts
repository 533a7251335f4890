import { createRequire } from 'node:module';
import type * as Nodemailer from 'nodemailer';
import type { Transporter } from 'nodemailer';
import type { Notifier } from '../../app/ports/index.js';
import type { Delivery, ResolvedChannel } from '../../domain/alerting/channel.js';
import type { AlertEvent } from '../../domain/alerting/event.js';
import { composeMessage, type Message } from '../../domain/alerting/message.js';

// Loaded only with PULSECHECK_SMTP_URL set: a host without e-mail never pays for nodemailer (about 20 MB of RSS).
const require = createRequire(import.meta.url);

export interface EmailNotifierOptions {
  /** `PULSECHECK_SMTP_URL` (`smtp://` or `smtps://user:password@host:port`); unset: e-mail is off. */
  readonly url: string | undefined;
  /** Sender of channels without `from` (`PULSECHECK_SMTP_FROM`). */
  readonly from: string;
  /** Longest wait for the server at each step, in ms. Default 15 000. */
  readonly timeoutMs?: number;
}

/** The plain-text body: the text, then one line per fact. */
export const emailBody = (message: Message): string =>
  [message.text, '', ...message.facts.map(([label, value]) => `${label}: ${value}`), '', '-- Sent by Pulsecheck'].join('\n');

/**
 * `email` channels over SMTP (nodemailer), e.g. Azure Communication Services' SMTP relay. The server
 * is the operator's setting, not a channel's, so it does not pass the target guard (like Key Vault).
 * SMTP's own classes decide retries: a 4xx reply is transient, a 5xx reply final.
 */
export class EmailNotifier implements Notifier {
  readonly type = 'email';
  readonly #transport: Transporter | undefined;
  readonly #from: string;

  constructor(options: EmailNotifierOptions) {
    const timeout = options.timeoutMs ?? 15_000;
    if (options.url !== undefined) {
      const { createTransport } = require('nodemailer') as typeof Nodemailer;
      this.#transport = createTransport({ url: options.url, connectionTimeout: timeout, greetingTimeout: timeout, socketTimeout: timeout } as Parameters<typeof createTransport>[0]);
    }
    this.#from = options.from;
  }

  async send(channel: ResolvedChannel, event: AlertEvent, signal: AbortSignal): Promise<Delivery> {
    if (channel.type !== 'email') throw new TypeError(`not an email channel: ${channel.type}`);
    if (!this.#transport) return { ok: false, channel: channel.name, retryable: false, message: 'e-mail is off: set PULSECHECK_SMTP_URL' };
    if (signal.aborted) return { ok: false, channel: channel.name, retryable: true, message: 'sending was cancelled' };
    const message = composeMessage(event, channel.template);
    try {
      const info = await this.#transport.sendMail({
        from: channel.from ?? this.#from,
        to: [...channel.to],
        subject: message.title,
        text: emailBody(message),
        headers: { 'X-Pulsecheck-Event': event.id },
      });
      return { ok: true, channel: channel.name, detail: `accepted for ${(info.accepted ?? []).length} recipient(s): ${String(info.response)}` };
    } catch (error) {
      const { responseCode, message: text, code } = error as { responseCode?: number; message?: string; code?: string };
      const retryable = responseCode === undefined || (responseCode >= 400 && responseCode < 500);
      return { ok: false, channel: channel.name, retryable, message: `the SMTP server ${responseCode === undefined ? `could not be used (${code ?? 'error'})` : `answered ${responseCode}`}: ${text ?? ''}`.trim() };
    }
  }

  async close(): Promise<void> {
    this.#transport?.close();
  }
}
