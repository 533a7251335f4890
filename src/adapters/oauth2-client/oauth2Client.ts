import { Agent, request } from 'undici';
import type { ClientCredentialsGrant, OAuth2Client, TokenResult } from '../../app/ports/index.js';

/** Lifetime assumed when a token response has no `expires_in`, in ms (5 minutes). */
const DEFAULT_LIFETIME_MS = 300_000;
/** Largest token response read, in bytes. */
const MAX_RESPONSE_BYTES = 64 * 1024;

/**
 * The OAuth2 client credentials grant over undici: a form POST with `client_id` and `client_secret`
 * in the body (`client_secret_post`, RFC 6749 §2.3.1), on a keep-alive pool of its own.
 */
export class UndiciOAuth2Client implements OAuth2Client {
  readonly #agent = new Agent({ connections: 8, keepAliveTimeout: 30_000 });

  async clientCredentials(grant: ClientCredentialsGrant, signal: AbortSignal): Promise<TokenResult> {
    const form = new URLSearchParams({ grant_type: 'client_credentials', client_id: grant.clientId, client_secret: grant.clientSecret });
    if (grant.scope !== undefined) form.set('scope', grant.scope);
    let status: number;
    let text: string;
    try {
      const response = await request(grant.tokenUrl, {
        method: 'POST',
        dispatcher: this.#agent,
        headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
        body: form.toString(),
        signal,
      });
      status = response.statusCode;
      text = (await response.body.text()).slice(0, MAX_RESPONSE_BYTES);
    } catch (error) {
      const { code, message } = error as { code?: string; message?: string };
      return { ok: false, message: signal.aborted ? 'the token endpoint did not answer in time' : `${code ? `${code}: ` : ''}${message ?? 'request failed'}` };
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
