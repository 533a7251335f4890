import { Agent } from 'undici';
import type { NetworkPolicy } from '../../domain/network.js';
import { classifyStatus, retryAfterMs, type Delivery } from '../../domain/alerting/channel.js';
import { BLOCKED_TARGET_CODE, guardedConnector } from './guardedConnector.js';

export interface GuardedPostOptions {
  /** Longest wait for an answer, in ms. Default 15 000 (Standard Webhooks suggests 15-30 s). */
  readonly timeoutMs?: number;
  /** Extra trusted CA certificates (PEM), for receivers with a private CA. */
  readonly ca?: string | readonly string[];
  /** The clock `Retry-After` dates are read against. Default `Date.now`. */
  readonly now?: () => number;
}

/**
 * POSTs a notification to a URL a channel gave, through the target guard, and classifies the answer
 * as a `Delivery` (2xx delivered; 408, 429, 5xx and no answer retryable; other 4xx and a refused
 * address not). Shared by the HTTP notifiers, as the connector is by every adapter that connects to
 * a user-given URL. Messages name the channel and the host, never the URL: Slack and Teams URLs are
 * secrets themselves.
 */
export class GuardedPost {
  readonly #agent: Agent;
  readonly #timeoutMs: number;
  readonly #now: () => number;

  constructor(policy: NetworkPolicy, options: GuardedPostOptions = {}) {
    const connect = guardedConnector(policy, options.ca === undefined ? {} : { ca: options.ca as string[] });
    // No redirect interceptor: undici follows no redirect, so a receiver cannot bounce us elsewhere.
    this.#agent = new Agent({ connections: 8, connect: (opts, callback) => void connect(opts, callback) });
    this.#timeoutMs = options.timeoutMs ?? 15_000;
    this.#now = options.now ?? Date.now;
  }

  /** POSTs `body` (JSON text) to `url`; `channel` names the channel in the result. */
  async post(channel: string, url: string, body: string, headers: Readonly<Record<string, string>>, signal: AbortSignal): Promise<Delivery> {
    let host = 'the receiver';
    try {
      const target = new URL(url);
      host = target.host;
      const response = await this.#agent.request({
        origin: target.origin,
        path: `${target.pathname}${target.search}`,
        method: 'POST',
        headers: { 'content-type': 'application/json', 'user-agent': 'Pulsecheck', ...headers },
        body,
        signal: AbortSignal.any([signal, AbortSignal.timeout(this.#timeoutMs)]),
      });
      const answer = (await response.body.text()).slice(0, 200);
      const status = response.statusCode;
      const verdict = classifyStatus(status);
      if (verdict === 'delivered') return { ok: true, channel, status, detail: `${host} answered ${status}` };
      const retryHeader = response.headers['retry-after'];
      const after = retryAfterMs(Array.isArray(retryHeader) ? retryHeader[0] : retryHeader, this.#now());
      return {
        ok: false,
        channel,
        retryable: verdict === 'retryable',
        status,
        message: `${host} answered ${status}${answer.trim() === '' ? '' : `: ${answer.trim()}`}`,
        ...(after === undefined ? {} : { retryAfterMs: after }),
      };
    } catch (error) {
      const { code, message } = error as { code?: string; message?: string };
      const cause = (error as { cause?: { code?: string; message?: string } }).cause;
      if (code === BLOCKED_TARGET_CODE || cause?.code === BLOCKED_TARGET_CODE) {
        return { ok: false, channel, retryable: false, message: `the target guard refused ${host}: ${cause?.message ?? message}` };
      }
      if (code === 'ERR_INVALID_URL') return { ok: false, channel, retryable: false, message: 'the channel URL is not a valid URL' };
      const why = signal.aborted ? 'sending was cancelled' : `${code ?? 'error'}: ${cause?.message ?? message ?? 'no answer'}`;
      return { ok: false, channel, retryable: true, message: `no answer from ${host} (${why})` };
    }
  }

  close(): Promise<void> {
    return this.#agent.close();
  }
}
