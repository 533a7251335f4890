import { randomBytes } from 'node:crypto';
import { startServer, type TestServer } from './servers.js';

export interface FakeIdentityEndpoint {
  readonly server: TestServer;
  /** For `IDENTITY_ENDPOINT` / `IDENTITY_HEADER`, as App Service sets them. */
  readonly env: { readonly IDENTITY_ENDPOINT: string; readonly IDENTITY_HEADER: string };
  /** Whether `token` was issued for `resource` (and, if given, the user-assigned `clientId`). */
  accepts(token: string | undefined, resource: string, clientId?: string): boolean;
  /** Every token issued, to assert none leaks. */
  readonly issued: string[];
  /** Token requests received: resource and client_id. */
  readonly calls: Array<{ resource: string; clientId: string | null }>;
}

/**
 * The App Service managed identity endpoint (API version 2019-08-01), as `@azure/identity` calls it
 * when `IDENTITY_ENDPOINT` and `IDENTITY_HEADER` are set: `GET ?resource=…&api-version=…` with the
 * `X-IDENTITY-HEADER` header, answering `{ access_token, expires_on, resource, token_type }`.
 */
export async function startIdentityEndpoint(lifetimeSeconds = 3_600): Promise<FakeIdentityEndpoint> {
  const header = `identity-header-${randomBytes(8).toString('hex')}`;
  const tokens = new Map<string, string>();
  const issued: string[] = [];
  const calls: FakeIdentityEndpoint['calls'] = [];
  const server = await startServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const resource = url.searchParams.get('resource');
    if (req.headers['x-identity-header'] !== header || url.searchParams.get('api-version') !== '2019-08-01' || !resource) {
      res.writeHead(400, { 'content-type': 'application/json' }).end('{"error":"invalid_request"}');
      return;
    }
    const clientId = url.searchParams.get('client_id');
    calls.push({ resource, clientId });
    const token = `mi-token-${randomBytes(12).toString('hex')}`;
    tokens.set(token, `${resource}|${clientId ?? ''}`);
    issued.push(token);
    const expiresOn = Math.floor(Date.now() / 1_000) + lifetimeSeconds;
    res.writeHead(200, { 'content-type': 'application/json' }).end(
      JSON.stringify({ access_token: token, expires_on: String(expiresOn), resource, token_type: 'Bearer', client_id: clientId ?? 'system-assigned' }),
    );
  });
  return {
    server,
    env: { IDENTITY_ENDPOINT: `${server.url}/msi/token`, IDENTITY_HEADER: header },
    accepts: (token, resource, clientId) => token !== undefined && tokens.get(token) === `${resource}|${clientId ?? ''}`,
    issued,
    calls,
  };
}
