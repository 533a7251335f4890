import { randomBytes } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import type { TestCertificate } from './certs.js';
import { startServer, type TestServer } from './servers.js';

/** What the vault does with a request that passed the challenge. */
export type VaultMode = 'up' | 'down' | 'forbidden' | 'hang';

export interface FakeKeyVault {
  readonly server: TestServer;
  /** The vault URL, for `KEY_VAULT_URL`. */
  readonly url: string;
  /** Adds a version of `name` (it becomes the latest); returns the version id (32 hex digits). */
  set(name: string, value: string): string;
  /** `down`: 503 to every call; `forbidden`: 403; `hang`: never answers. */
  mode: VaultMode;
  /** Secret reads that reached the vault with a valid token: name and version asked for. */
  readonly reads: Array<{ name: string; version: string | null }>;
  /** Requests without a token, answered with the challenge. */
  challenges: number;
}

/**
 * An HTTPS Key Vault on 127.0.0.1 speaking the Secrets REST API as `@azure/keyvault-secrets` uses
 * it: a request without a token gets the bearer challenge (401 with `WWW-Authenticate` naming the
 * resource `https://vault.azure.net`, as the real service does); with a token that `accepts`
 * approves, `GET /secrets/{name}[/{version}]` answers the secret bundle or 404 `SecretNotFound`.
 */
export async function startFakeKeyVault(tls: TestCertificate, accepts: (token: string | undefined) => boolean): Promise<FakeKeyVault> {
  const versions = new Map<string, Array<{ version: string; value: string }>>();
  const vault: FakeKeyVault = {
    server: undefined as unknown as TestServer,
    url: '',
    mode: 'up',
    reads: [],
    challenges: 0,
    set(name, value) {
      const version = randomBytes(16).toString('hex');
      const list = versions.get(name.toLowerCase()) ?? [];
      list.push({ version, value });
      versions.set(name.toLowerCase(), list);
      return version;
    },
  };
  const server = await startServer((req, res) => {
    const auth = req.headers.authorization;
    if (!auth) {
      vault.challenges += 1;
      res.writeHead(401, {
        'www-authenticate': 'Bearer authorization="https://login.microsoftonline.com/72f988bf-86f1-41af-91ab-2d7cd011db47", resource="https://vault.azure.net"',
      });
      res.end();
      return;
    }
    if (!accepts(auth.replace(/^Bearer /, ''))) return error(res, 401, 'Unauthorized', 'AKV10000: token is invalid');
    if (vault.mode === 'hang') return;
    if (vault.mode === 'down') return error(res, 503, 'ServiceUnavailable', 'The service is unavailable');
    if (vault.mode === 'forbidden') return error(res, 403, 'Forbidden', 'Caller is not authorized to perform action on resource');
    const url = new URL(req.url ?? '/', vault.url);
    const match = /^\/secrets\/([^/]+)(?:\/([^/]+))?\/?$/.exec(url.pathname);
    if (req.method !== 'GET' || !match) return error(res, 400, 'BadParameter', 'unsupported request');
    const [, name = '', version] = match;
    vault.reads.push({ name, version: version ?? null });
    const list = versions.get(name.toLowerCase()) ?? [];
    const found = version === undefined ? list.at(-1) : list.find((v) => v.version === version);
    if (!found) return error(res, 404, 'SecretNotFound', `A secret with (name/id) ${name} was not found in this key vault.`);
    const now = Math.floor(Date.now() / 1_000);
    res.writeHead(200, { 'content-type': 'application/json; charset=utf-8' }).end(
      JSON.stringify({
        value: found.value,
        id: `${vault.url}/secrets/${name}/${found.version}`,
        attributes: { enabled: true, created: now, updated: now, recoveryLevel: 'Recoverable+Purgeable' },
      }),
    );
  }, tls);
  Object.assign(vault, { server, url: server.url });
  return vault;
}

function error(res: ServerResponse, status: number, code: string, message: string): void {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8' }).end(JSON.stringify({ error: { code, message } }));
}
