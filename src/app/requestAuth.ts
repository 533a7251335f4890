import { createHash } from 'node:crypto';
import { carriesCredentials, fillSecrets, splitPem } from '../domain/auth.js';
import type { Job } from '../domain/job.js';
import { hiddenForms, scrub } from '../domain/redact.js';
import type { Clock, ManagedIdentityTokens, OAuth2Client, ProbeRequest, TokenResult } from './ports/index.js';
import type { SecretResolver } from './secrets.js';
import { TokenCache } from './tokenCache.js';

/** A job's request with its secrets filled in: everything but the run id and attempt number. */
export type BaseProbe = Omit<ProbeRequest, 'runId' | 'attempt'>;

/**
 * A job's request, ready to send. `values`: the secret and token values it carries (to mask in
 * whatever is shown, through `hiddenForms`). Not `ok`: a secret or token could not be obtained, so
 * the target must not be called; the message names it, never a value. `blocked`: because the target
 * guard refused the token endpoint.
 */
export type Prepared = { readonly ok: true; readonly probe: BaseProbe; readonly values: readonly string[] } | Unprepared;
export type Unprepared = { readonly ok: false; readonly message: string; readonly blocked?: true };

export interface RequestAuthDeps {
  readonly clock: Clock;
  /** Resolves `${secret:…}` and `auth.secret`; without it, jobs that name secrets cannot run. */
  readonly secrets?: SecretResolver;
  readonly oauth2?: OAuth2Client;
  readonly managedIdentity?: ManagedIdentityTokens;
  /** Longest wait for a token, in ms. Default 10 000. */
  readonly tokenTimeoutMs?: number;
}

const NO_VALUES: readonly string[] = [];
const jsonEscape = (value: string) => JSON.stringify(value).slice(1, -1);

/**
 * Prepares each request of a job: its secrets filled in and its auth applied. It sends nothing: when
 * a target refuses the credentials, the re-send with fresh ones is a policy of its own (`RequestPolicy`
 * in policy.ts), which asks for them with `refresh`.
 */
export class RequestAuthorizer {
  readonly #deps: RequestAuthDeps;
  readonly #tokens: TokenCache;
  readonly #plain = new WeakMap<Job, Prepared>();

  constructor(deps: RequestAuthDeps) {
    this.#deps = deps;
    this.#tokens = new TokenCache(deps.clock);
  }

  /**
   * The job's request with its secrets and tokens, read again past the caches when `refresh`
   * (default false). A job that carries no credentials gets its request at once, built once per job.
   */
  prepare(job: Job, refresh = false): Prepared | Promise<Prepared> {
    return carriesCredentials(job) ? this.#prepare(job, refresh) : this.#plainPrepared(job);
  }

  async #prepare(job: Job, refresh: boolean): Promise<Prepared> {
    const { secrets } = this.#deps;
    const resolved = new Map<string, string>();
    if (job.secrets.length > 0) {
      if (!secrets) return { ok: false, message: 'no secret store is configured' };
      const results = await Promise.all(job.secrets.map((ref) => secrets.resolve(ref, refresh)));
      for (const [i, result] of results.entries()) {
        if (!result.ok) return result;
        resolved.set(job.secrets[i]?.id as string, result.value);
      }
    }
    const value = (id: string) => resolved.get(id) ?? '';
    const values = [...resolved.values()];
    const headers: Record<string, string> = {};
    for (const [name, text] of Object.entries(job.headers)) headers[name] = fillSecrets(text, value);
    let url = fillSecrets(job.url, value, encodeURIComponent);
    const body = job.body === undefined ? undefined : fillSecrets(job.body, value, headers['content-type']?.includes('json') ? jsonEscape : undefined);
    let clientCertificate: BaseProbe['clientCertificate'];
    const { auth } = job;
    switch (auth.type) {
      case 'bearer':
        headers.authorization = `Bearer ${value(auth.secret.id)}`;
        break;
      case 'basic': {
        const credentials = Buffer.from(`${auth.username}:${value(auth.secret.id)}`, 'utf8').toString('base64');
        headers.authorization = `Basic ${credentials}`;
        values.push(credentials);
        break;
      }
      case 'apiKey':
        if (auth.header !== undefined) headers[auth.header] = value(auth.secret.id);
        else {
          const withKey = new URL(url);
          withKey.searchParams.set(auth.query as string, value(auth.secret.id));
          url = withKey.toString();
        }
        break;
      case 'oauth2ClientCredentials':
      case 'managedIdentity': {
        const token = await this.#token(job, value, refresh);
        // The endpoint's own words may quote what it was sent: masked before they are shown (and bounded).
        if (!token.ok) return { ok: false, message: scrub(token.message, hiddenForms(values)).slice(0, 500), ...(token.blocked ? { blocked: true } : {}) };
        headers.authorization = `Bearer ${token.token}`;
        values.push(token.token);
        break;
      }
      case 'clientCertificate': {
        const pem = value(auth.secret.id);
        const pair = splitPem(pem);
        if (!pair) return { ok: false, message: `secret "${auth.secret.id}" does not hold a PEM certificate and its private key` };
        clientCertificate = { ...pair, fingerprint: createHash('sha256').update(pem).digest('hex') };
        values.push(pair.key);
        break;
      }
    }
    const probe: BaseProbe = { ...this.#plainPrepared(job).probe, url, headers, ...(body === undefined ? {} : { body }), ...(clientCertificate ? { clientCertificate } : {}) };
    return { ok: true, probe, values };
  }

  /** The job's OAuth2 or managed identity token, from the cache while it is fresh. */
  async #token(job: Job, value: (id: string) => string, refresh: boolean): Promise<{ ok: true; token: string } | Unprepared> {
    const { auth } = job;
    const { oauth2, managedIdentity, tokenTimeoutMs = 10_000 } = this.#deps;
    const signal = () => AbortSignal.timeout(tokenTimeoutMs);
    let key: string;
    let what: string;
    let fetch: () => Promise<TokenResult>;
    if (auth.type === 'oauth2ClientCredentials') {
      key = ['oauth2', auth.tokenUrl, auth.clientId, auth.scope ?? '', auth.secret.id].join('\n');
      what = `the OAuth2 token from ${auth.tokenUrl}`;
      const grant = { tokenUrl: auth.tokenUrl, clientId: auth.clientId, clientSecret: value(auth.secret.id), ...(auth.scope === undefined ? {} : { scope: auth.scope }) };
      fetch = async () => (oauth2 ? oauth2.clientCredentials(grant, signal()) : { ok: false, message: 'no OAuth2 client is configured' });
    } else if (auth.type === 'managedIdentity') {
      key = ['managedIdentity', auth.scope, auth.clientId ?? ''].join('\n');
      what = `the managed identity token for ${auth.scope}`;
      fetch = async () => (managedIdentity ? managedIdentity.getToken(auth.scope, auth.clientId, signal()) : { ok: false, message: 'no managed identity is configured' });
    } else {
      return { ok: false, message: `auth ${auth.type} has no token` };
    }
    const token = await this.#tokens.get(key, fetch, refresh);
    return token.ok ? token : { ok: false, message: `${what} is unavailable: ${token.message}`, ...(token.blocked ? { blocked: true } : {}) };
  }

  /** The request of a job that carries no credentials: built once per job. */
  #plainPrepared(job: Job): Prepared & { ok: true } {
    let prepared = this.#plain.get(job);
    if (!prepared) {
      const probe: BaseProbe = {
        url: job.url,
        method: job.method,
        headers: job.headers,
        ...(job.body === undefined ? {} : { body: job.body }),
        readBody: job.readBody,
        insecureSkipVerify: job.insecureSkipVerify,
      };
      prepared = { ok: true, probe, values: NO_VALUES };
      this.#plain.set(job, prepared);
    }
    return prepared as Prepared & { ok: true };
  }
}
