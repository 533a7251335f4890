import { randomBytes } from 'node:crypto';
import { startAuthTarget, type AuthTarget } from './authTarget.js';
import { selfSignedCertificate, type TestCertificate } from './certs.js';
import { startIdentityEndpoint, type FakeIdentityEndpoint } from './identity.js';
import { ALLOW_LOOPBACK } from './network.js';
import { startFakeKeyVault, type FakeKeyVault } from './keyVault.js';

/** Every auth type, each against its endpoint of the target. */
export const AUTH_JOBS = ['basic', 'bearer', 'apiKeyHeader', 'apiKeyQuery', 'oauth2', 'managedIdentity', 'clientCertificate', 'references'] as const;

/**
 * The world the secret tests run in: a local App Service identity endpoint, an HTTPS Key Vault
 * holding distinctive secret values, and a target that checks each kind of credential.
 */
export interface SecretsWorld {
  readonly identity: FakeIdentityEndpoint;
  readonly vault: FakeKeyVault;
  readonly target: AuthTarget;
  /** The jobs file. */
  readonly jobs: { jobs: Array<Record<string, unknown>> };
  /**
   * Settings that point the app at the vault and the identity endpoint (as App Service would), and
   * open the target guard to loopback, where the target listens.
   */
  readonly settings: Record<string, string>;
  /** Every secret value, every value derived from one, and every token issued: none may appear in any output. */
  forbidden(): string[];
  close(): Promise<void>;
}

const distinct = (kind: string) => `LEAK-${kind}-${randomBytes(10).toString('hex')}`;

export async function startSecretsWorld(serverTls: TestCertificate): Promise<SecretsWorld> {
  const identity = await startIdentityEndpoint();
  const vault = await startFakeKeyVault(serverTls, (token) => identity.accepts(token, 'https://vault.azure.net'));
  const client = await selfSignedCertificate(30, 'pulsecheck-client');
  const values = {
    'api-token': distinct('bearer'),
    // Characters that need encoding in a header, a URL and JSON.
    'svc-password': `${distinct('password')}:"p@ss w/rd"`,
    'api-key': `${distinct('apikey')}&x=1 +/`,
    'client-secret': distinct('clientsecret'),
    'wrong-client-secret': distinct('wrongsecret'),
    'client-cert': `${client.key}\n${client.cert}`,
  };
  for (const [name, value] of Object.entries(values)) vault.set(name, value);
  const target = await startAuthTarget(
    {
      username: 'svc',
      password: values['svc-password'],
      bearer: values['api-token'],
      apiKey: values['api-key'],
      clientId: 'pulsecheck-client',
      clientSecret: values['client-secret'],
      tokenLifetimeSeconds: 3_600,
      clientCertificate: client.cert,
      managedIdentity: (token) => identity.accepts(token, 'api://my-api'),
    },
    serverTls,
  );
  const base = target.http.url;
  const job = (name: string, path: string, auth: unknown, extra: Record<string, unknown> = {}) => ({
    name,
    url: `${base}${path}`,
    every: '1h',
    retry: { maxAttempts: 1 },
    circuitBreaker: false,
    conditions: ['[STATUS] == 200'],
    ...(auth ? { auth } : {}),
    ...extra,
  });
  const oauth = (secret: string) => ({ type: 'oauth2ClientCredentials', tokenUrl: `${base}/token`, clientId: 'pulsecheck-client', secret, scope: 'api://target/.default' });
  const jobs = [
    job('basic', '/basic', { type: 'basic', username: 'svc', secret: 'svc-password' }),
    job('bearer', '/bearer', { type: 'bearer', secret: 'api-token' }),
    job('apiKeyHeader', '/apikey-header', { type: 'apiKey', header: 'X-Api-Key', secret: 'api-key' }),
    job('apiKeyQuery', '/apikey-query', { type: 'apiKey', query: 'code', secret: 'api-key' }),
    job('oauth2', '/oauth', oauth('client-secret')),
    job('managedIdentity', '/mi', { type: 'managedIdentity', scope: 'api://my-api/.default' }),
    { ...job('clientCertificate', '', { type: 'clientCertificate', secret: 'client-cert' }), url: `${target.mtls.url}/mtls` },
    job('references', '/refs?key=${secret:api-key}', undefined, {
      method: 'POST',
      headers: { 'X-Token': 'Token ${secret:api-token}' },
      body: { password: '${secret:svc-password}' },
    }),
    // Failure paths, where a value is most likely to slip out.
    job('echo', '/echo', { type: 'bearer', secret: 'api-token' }, {
      conditions: ['[BODY] == nothing', '[BODY].youSent == nothing', '[HEADERS].x-echo == nothing', '[HEADERS].set-cookie == nothing'],
    }),
    job('wrongClientSecret', '/oauth', oauth('wrong-client-secret')),
    job('notInVault', '/bearer', { type: 'bearer', secret: 'not-in-vault' }),
    { ...job('mtlsWithoutCertificate', '', undefined), url: `${target.mtls.url}/mtls` },
  ];
  return {
    identity,
    vault,
    target,
    jobs: { jobs },
    settings: { KEY_VAULT_URL: vault.url, KEY_VAULT_DISABLE_CHALLENGE_RESOURCE_VERIFICATION: 'true', ...identity.env, ...ALLOW_LOOPBACK },
    forbidden: () => [
      ...Object.values(values),
      ...client.key.split('\n').filter((line) => line.trim() !== '' && !line.startsWith('-----')), // each line of the private key
      identity.env.IDENTITY_HEADER,
      Buffer.from(`svc:${values['svc-password']}`).toString('base64'),
      encodeURIComponent(values['api-key']),
      ...target.oauthTokens,
      ...identity.issued,
    ],
    close: async () => {
      await Promise.all([target.close(), vault.server.close(), identity.server.close()]);
    },
  };
}
