import { randomBytes, X509Certificate } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { TLSSocket } from 'node:tls';
import type { TestCertificate } from './certs.js';
import { startServer, type TestServer } from './servers.js';

/** What the target accepts; change a field to rotate a credential. */
export interface Expected {
  username: string;
  password: string;
  bearer: string;
  apiKey: string;
  clientId: string;
  clientSecret: string;
  /** Lifetime of the OAuth2 tokens it issues, in seconds. */
  tokenLifetimeSeconds: number;
  /** PEM of the client certificate the mutual-TLS endpoint accepts. */
  clientCertificate: string;
  /** Whether a managed identity token is good for this API (from the identity endpoint). */
  managedIdentity: (token: string | undefined) => boolean;
}

export interface AuthTarget {
  /** Plain HTTP: /basic, /bearer, /apikey-header, /apikey-query, /token (OAuth2), /oauth, /mi, /refs, /echo. */
  readonly http: TestServer;
  /** HTTPS asking for a client certificate: /mtls. */
  readonly mtls: TestServer;
  readonly expected: Expected;
  /** OAuth2 tokens issued (each valid until revoked), and how many token requests came. */
  readonly oauthTokens: Set<string>;
  tokenRequests: number;
  close(): Promise<void>;
}

/**
 * A target that checks each kind of credential for real: 200 when it is right, 401 (with
 * `WWW-Authenticate`) when not. `/token` is an OAuth2 client-credentials endpoint (form POST); a
 * wrong client secret gets `invalid_client` with a description that echoes the secret it was sent,
 * as careless servers do. `/echo` echoes the credential in its body, a header and a cookie.
 */
export async function startAuthTarget(expected: Expected, serverTls: TestCertificate): Promise<AuthTarget> {
  const target = { expected, oauthTokens: new Set<string>(), tokenRequests: 0 } as AuthTarget & { tokenRequests: number };
  const bearer = (req: IncomingMessage) => /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1];
  const http = await startServer(async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const e = target.expected;
    switch (url.pathname) {
      case '/basic':
        return answer(res, req.headers.authorization === `Basic ${Buffer.from(`${e.username}:${e.password}`).toString('base64')}`, 'Basic');
      case '/bearer':
        return answer(res, bearer(req) === e.bearer);
      case '/apikey-header':
        return answer(res, req.headers['x-api-key'] === e.apiKey, 'ApiKey');
      case '/apikey-query':
        return answer(res, url.searchParams.get('code') === e.apiKey, 'ApiKey');
      case '/oauth':
        return answer(res, target.oauthTokens.has(bearer(req) ?? ''));
      case '/mi':
        return answer(res, e.managedIdentity(bearer(req)));
      case '/refs': {
        const body = await text(req);
        const ok = url.searchParams.get('key') === e.apiKey && req.headers['x-token'] === `Token ${e.bearer}` && body === JSON.stringify({ password: e.password });
        return answer(res, ok);
      }
      case '/echo':
        res.writeHead(200, { 'x-echo': req.headers.authorization ?? '', 'set-cookie': `session=${bearer(req) ?? ''}` });
        return res.end(JSON.stringify({ youSent: req.headers.authorization, query: url.search }));
      case '/token':
        return token(req, res);
      default:
        res.writeHead(404).end();
    }
  });

  async function token(req: IncomingMessage, res: ServerResponse): Promise<void> {
    target.tokenRequests += 1;
    const form = new URLSearchParams(await text(req));
    const json = (status: number, body: unknown) => void res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    if (req.method !== 'POST' || form.get('grant_type') !== 'client_credentials') return json(400, { error: 'unsupported_grant_type' });
    if (form.get('client_id') !== target.expected.clientId || form.get('client_secret') !== target.expected.clientSecret) {
      return json(401, { error: 'invalid_client', error_description: `client_secret ${form.get('client_secret')} is not valid for ${form.get('client_id')}` });
    }
    const issued = `oauth-token-${randomBytes(12).toString('hex')}`;
    target.oauthTokens.add(issued);
    return json(200, { access_token: issued, token_type: 'Bearer', expires_in: target.expected.tokenLifetimeSeconds });
  }

  const mtls = await startServer(
    (req, res) => {
      const socket = req.socket as TLSSocket;
      const peer = socket.getPeerCertificate();
      const wanted = new X509Certificate(target.expected.clientCertificate).fingerprint256;
      answer(res, socket.authorized && peer.fingerprint256 === wanted, 'Certificate');
    },
    { cert: serverTls.cert, key: serverTls.key, requestCert: true, rejectUnauthorized: false, ca: [expected.clientCertificate] },
  );
  return Object.assign(target, { http, mtls, close: async () => void (await Promise.all([http.close(), mtls.close()])) });
}

function answer(res: ServerResponse, ok: boolean, scheme = 'Bearer'): void {
  if (ok) res.writeHead(200, { 'content-type': 'application/json' }).end('{"status":"UP"}');
  else res.writeHead(401, { 'www-authenticate': `${scheme} realm="target"` }).end('{"status":"DENIED"}');
}

async function text(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}
