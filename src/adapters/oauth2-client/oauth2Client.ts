import { Agent, request, type Dispatcher } from 'undici';
import type { ClientCredentialsGrant, OAuth2Client, TokenResult } from '../../app/ports/index.js';
import { networkPolicy, type NetworkPolicy } from '../../domain/network.js';
import { BLOCKED_TARGET_CODE, guardedConnector } from '../target-guard/guardedConnector.js';

/** Lifetime assumed when a token response has no `expires_in`, in ms (5 minutes). */
const DEFAULT_LIFETIME_MS = 300_000;
/** Largest token response read, in bytes (64 KiB): a token response is a small JSON object. */
const MAX_RESPONSE_BYTES = 64 * 1024;

export interface OAuth2ClientOptions {
  /** The target guard applied to every token endpoint. Default: `networkPolicy()` (loopback, link-local … refused). */
  readonly networkPolicy?: NetworkPolicy;
  /** Largest token response read, in bytes; a larger one fails the grant. Default 64 KiB. */
  readonly maxResponseBytes?: number;
}

/**
 * The OAuth2 client credentials grant over undici: a form POST with `client_id` and `client_secret`
 * in the body (`client_secret_post`, RFC 6749 §2.3.1), on a keep-alive pool of its own. A `tokenUrl`
 * is a job's (or a caller's) URL: every connection passes the target guard, and the response is
 * read up to a bound.
 */
export class UndiciOAuth2Client implements OAuth2Client {
  readonly #agent: Agent;
  readonly #maxBytes: number;

  constructor(options: OAuth2ClientOptions = {}) {
    const policy = options.networkPolicy ?? networkPolicy();
    this.#maxBytes = options.maxResponseBytes ?? MAX_RESPONSE_BYTES;
    // No redirect interceptor: undici does not follow redirects, so a token endpoint cannot bounce
    // the client secret to an address the guard would refuse.
    this.#agent = new Agent({
      connections: 8,
      keepAliveTimeout: 30_000,
      connect: guardedConnector(policy),
    });
  }

  async clientCredentials(grant: ClientCredentialsGrant, signal: AbortSignal): Promise<TokenResult> {
    const form = new URLSearchParams({ grant_type: 'client_credentials', client_id: grant.clientId, client_secret: grant.clientSecret });
    if (grant.scope !== undefined) form.set('scope', grant.scope);
    let status: number;
    let text: string | undefined;
    try {
      const response = await request(grant.tokenUrl, {
        method: 'POST',
        dispatcher: this.#agent,
        headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
        body: form.toString(),
        signal,
      });
      status = response.statusCode;
      text = await readBounded(response, this.#maxBytes);
    } catch (error) {
      const { code, message } = error as { code?: string; message?: string };
      if (code === BLOCKED_TARGET_CODE) return { ok: false, message: message ?? 'the target guard refused the token endpoint', blocked: true };
      return { ok: false, message: signal.aborted ? 'the token endpoint did not answer in time' : `${code ? `${code}: ` : ''}${message ?? 'request failed'}` };
    }
    if (text === undefined) {
      return { ok: false, message: `the token endpoint answered ${status} with more than ${this.#maxBytes} bytes; a token response is a small JSON object` };
    }
    let json: { access_token?: unknown; expires_in?: unknown; error?: unknown; error_description?: unknown } = {};
    try {
      json = JSON.parse(text) as typeof json;
    } catch {
      // Reported below as a missing token or an error status.
    }
    if (status >= 400) {
      const detail = typeof json.error === 'string' ? ` (${json.error}${typeof json.error_description === 'string' ? `: ${json.error_description}` : ''})` : '';
      return { ok: false, message: `the token endpoint answered ${status}${detail}` };
    }
    if (typeof json.access_token !== 'string' || json.access_token === '') {
      return { ok: false, message: `the token endpoint answered ${status} without an access_token` };
    }
    const expiresIn = Number(json.expires_in);
    return { ok: true, token: { token: json.access_token, expiresInMs: Number.isFinite(expiresIn) && expiresIn > 0 ? expiresIn * 1_000 : DEFAULT_LIFETIME_MS } };
  }

  close(): Promise<void> {
    return this.#agent.close();
  }
}

/**
 * The body as UTF-8 text, or `undefined` once it passes `limit` bytes: reading stops there and the
 * connection is closed, so an endless answer costs at most `limit` bytes of memory.
 */
async function readBounded(response: Dispatcher.ResponseData, limit: number): Promise<string | undefined> {
  const { body } = response;
  if (Number(response.headers['content-length']) > limit) {
    body.destroy();
    return undefined;
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    size += (chunk as Buffer).length;
    if (size > limit) {
      body.destroy();
      return undefined;
    }
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}
