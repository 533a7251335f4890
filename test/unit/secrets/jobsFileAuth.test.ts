import { describe, expect, it } from 'vitest';
import { parseJobsFile } from '../../../src/config/jobsFile.js';
import { loadSettings } from '../../../src/config/settings.js';
import { jobsFileText as file, problems } from '../../support/jobs.js';

const VERSION = 'a'.repeat(32);

describe('auth in the jobs file', () => {
  it.each([
    [{ type: 'none' }, { type: 'none' }, []],
    [{ type: 'bearer', secret: 'api-token' }, { type: 'bearer', secret: { name: 'api-token', id: 'api-token' } }, ['api-token']],
    [{ type: 'basic', username: 'svc', secret: `svc-password/${VERSION}` }, { type: 'basic', username: 'svc', secret: { name: 'svc-password', version: VERSION } }, [`svc-password/${VERSION}`]],
    [{ type: 'apiKey', header: 'X-Api-Key', secret: 'api-key' }, { type: 'apiKey', header: 'x-api-key' }, ['api-key']],
    [{ type: 'apiKey', query: 'code', secret: 'api-key' }, { type: 'apiKey', query: 'code' }, ['api-key']],
    [
      { type: 'oauth2ClientCredentials', tokenUrl: 'https://login.test/${env:TENANT}/token', clientId: 'app', secret: 'client-secret', scope: 'api://x/.default' },
      { type: 'oauth2ClientCredentials', tokenUrl: 'https://login.test/t1/token', clientId: 'app', scope: 'api://x/.default' },
      ['client-secret'],
    ],
    [{ type: 'managedIdentity', scope: 'api://my-api/.default' }, { type: 'managedIdentity', scope: 'api://my-api/.default' }, []],
    [{ type: 'managedIdentity', scope: 'api://my-api/.default', clientId: 'uai' }, { type: 'managedIdentity', clientId: 'uai' }, []],
    [{ type: 'clientCertificate', secret: 'client-cert' }, { type: 'clientCertificate' }, ['client-cert']],
  ])('compiles %j', (auth, expected, secrets) => {
    const [job] = parseJobsFile(file([{ name: 'a', url: 'https://a.test/', auth }]), { TENANT: 't1' });
    expect(job?.auth).toMatchObject(expected);
    expect(job?.secrets.map((s) => s.id)).toEqual(secrets);
    expect(job?.definition.auth).toEqual(auth);
  });

  it('collects every secret a job names once: auth first, then url, headers and body', () => {
    const [job] = parseJobsFile(
      file([
        {
          name: 'a',
          url: 'https://a.test/?code=${secret:fn-key}',
          method: 'POST',
          headers: { 'X-One': '${secret:one}', 'X-Again': '${secret:api-token}' },
          body: { key: '${secret:fn-key}', nested: ['${secret:two}'] },
          auth: { type: 'bearer', secret: 'api-token' },
        },
      ]),
      {},
    );
    expect(job?.secrets.map((s) => s.id)).toEqual(['api-token', 'fn-key', 'one', 'two']);
    // Values are not part of the job: the references stay for run time.
    expect(job?.url).toBe('https://a.test/?code=${secret:fn-key}');
    expect(job?.headers['x-one']).toBe('${secret:one}');
  });

  it('inherits auth from defaults', () => {
    const [job] = parseJobsFile(file([{ name: 'a', url: 'https://a.test/' }], { auth: { type: 'bearer', secret: 'shared' } }), {});
    expect(job?.auth).toMatchObject({ type: 'bearer', secret: { id: 'shared' } });
  });

  it('reports every auth and reference problem, naming the job and the field and never quoting a value', () => {
    const messages = problems(
      file([
        { name: 'a', url: 'https://a.test/', auth: { type: 'magic' } },
        { name: 'b', url: 'https://a.test/', auth: { type: 'bearer' } },
        { name: 'c', url: 'https://a.test/', auth: { type: 'bearer', secret: 'sk_live_51Hx' } },
        { name: 'd', url: 'https://a.test/', auth: { type: 'apiKey', secret: 'k' } },
        { name: 'e', url: 'https://a.test/', auth: { type: 'bearer', secret: 'k', token: 'sk_live_51Hx' } },
        { name: 'f', url: 'https://a.test/?k=${secret:bad_name}', headers: { 'X-Key': 'sk_live_51Hx ${secret:open' } },
        { name: 'g', url: 'https://a.test/', headers: { Authorization: 'Bearer x' }, auth: { type: 'bearer', secret: 'k' } },
        { name: 'h', url: 'http://a.test/', auth: { type: 'clientCertificate', secret: 'cert' } },
        { name: 'i', url: 'https://a.test/', auth: { type: 'oauth2ClientCredentials', tokenUrl: 'not a url', clientId: 'c', secret: 's' } },
        { name: 'j', url: 'https://a.test/', auth: { type: 'basic', username: 'a:b', secret: 's' } },
      ]),
    );
    expect(messages).toEqual([
      'jobs[0] "a": auth.type has the wrong shape (expected one of "none", "bearer", "basic", "apiKey", "oauth2ClientCredentials", "managedIdentity", "clientCertificate")',
      'jobs[1] "b": auth.secret is required (expected string)',
      'jobs[2] "c": auth.secret must name a Key Vault secret: 1-127 letters, digits and "-", optionally followed by "/" and a version of 32 hex digits',
      'jobs[3] "d": auth must set exactly one of "header" and "query"',
      'jobs[4] "e": unknown field "token" in auth',
      'jobs[5] "f": url references ${secret:bad_name}, whose name is not a secret reference (expected 1-127 letters, digits and "-", optionally followed by "/" and a version of 32 hex digits)',
      'jobs[5] "f": headers.X-Key has a ${secret: reference without its closing "}"',
      'jobs[6] "g": headers.authorization is also set by auth (bearer): remove one of them',
      'jobs[7] "h": auth clientCertificate needs an https:// url',
      'jobs[8] "i": auth.tokenUrl "not a url" is not an absolute http(s) URL',
      'jobs[9] "j": auth.username must not contain ":" (it separates the username from the password)',
    ]);
    expect(messages.join('\n')).not.toContain('sk_live');
  });

  it('rejects an ${env:NAME} whose setting is an App Service Key Vault reference left unresolved', () => {
    expect(
      problems(file([{ name: 'a', url: 'https://a.test/', headers: { 'X-Key': '${env:API_KEY}' } }]), {
        API_KEY: '@Microsoft.KeyVault(SecretUri=https://v.vault.azure.net/secrets/api-key/)',
      }),
    ).toEqual([
      'jobs[0] "a": headers.X-Key references ${env:API_KEY}, which holds an App Service Key Vault reference the platform could not resolve (@Microsoft.KeyVault(…)): give the app\'s identity the "Key Vault Secrets User" role on the vault and check the secret exists',
    ]);
  });
});

describe('secret settings', () => {
  it('reads the Key Vault settings with their defaults', () => {
    expect(loadSettings({})).toMatchObject({
      keyVault: undefined,
      secretTtlMs: 300_000,
      azure: { inAzure: false, clientId: undefined },
      unresolvedKeyVaultReferences: [],
    });
    expect(
      loadSettings({
        KEY_VAULT_URL: 'https://my-vault.vault.azure.net/',
        KEY_VAULT_DISABLE_CHALLENGE_RESOURCE_VERIFICATION: 'true',
        PULSECHECK_SECRET_TTL_SECONDS: '60',
        IDENTITY_ENDPOINT: 'http://127.0.0.1:41000/msi/token',
        AZURE_CLIENT_ID: 'uai-client-id',
        SOME_SETTING: '@Microsoft.KeyVault(SecretUri=https://v.vault.azure.net/secrets/x/)',
      }),
    ).toMatchObject({
      keyVault: { url: 'https://my-vault.vault.azure.net/', disableChallengeResourceVerification: true },
      secretTtlMs: 60_000,
      azure: { inAzure: true, clientId: 'uai-client-id' },
      unresolvedKeyVaultReferences: ['SOME_SETTING'],
    });
  });

  it.each([
    [{ KEY_VAULT_URL: 'http://my-vault.vault.azure.net/' }, 'KEY_VAULT_URL "http://my-vault.vault.azure.net/" must be the vault\'s https URL'],
    [{ KEY_VAULT_URL: '@Microsoft.KeyVault(VaultName=v;SecretName=url)' }, 'KEY_VAULT_URL holds a Key Vault reference the platform could not resolve'],
    [{ KEY_VAULT_DISABLE_CHALLENGE_RESOURCE_VERIFICATION: 'yes' }, 'KEY_VAULT_DISABLE_CHALLENGE_RESOURCE_VERIFICATION must be "true" or "false"'],
    [{ PULSECHECK_SECRET_TTL_SECONDS: '-1' }, 'PULSECHECK_SECRET_TTL_SECONDS "-1" must be an integer from 0 to 86400'],
  ])('rejects %j', (env, message) => {
    expect(() => loadSettings(env)).toThrow(message);
  });
});
