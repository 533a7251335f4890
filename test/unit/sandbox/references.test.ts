import { describe, expect, it } from 'vitest';
import { compileJob } from '../../../src/config/compileJob.js';
import type { JobInput } from '../../../src/config/jobsSchema.js';
import { loadSettings } from '../../../src/config/settings.js';
import { CLOSED, type ReferenceKind, type ReferencePolicy } from '../../../src/domain/sandbox.js';

const ENV = {
  HOST: 'target.test',
  AzureWebJobsStorage: 'DefaultEndpointsProtocol=https;AccountName=app;AccountKey=c3RvcmFnZS1rZXk=',
  TENANT: 'tenant-1',
  APP: 'app-id',
  SVC: 'svc',
  SCOPE: 'api://target/.default',
  WITH_SECRET: '${secret:vault-only}',
};
const ARM = 'https://management.azure.com/.default';
const VERSION = '0123456789abcdef0123456789abcdef';

const compile = (input: Record<string, unknown>, sandbox?: ReferencePolicy, env: Record<string, string> = ENV) =>
  compileJob({ name: 'j', url: 'https://target.test/', ...input } as JobInput, {}, { env, source: 'api', where: '', pathPrefix: '', ...(sandbox ? { sandbox } : {}) });

const oauth2 = (fields: Record<string, string>) => ({ type: 'oauth2ClientCredentials', tokenUrl: 'https://login.test/token', clientId: 'app', secret: 'client-secret', ...fields });
const SETTING: Record<ReferenceKind, string> = {
  env: 'PULSECHECK_API_ENV_ALLOW',
  secrets: 'PULSECHECK_API_SECRETS_ALLOW',
  managedIdentityScopes: 'PULSECHECK_API_MI_SCOPES_ALLOW',
  managedIdentityClientIds: 'jobs file',
};

type Site = [site: string, input: Record<string, unknown>, kind: ReferenceKind, name: string, field: string, needs?: Partial<ReferencePolicy>];
type Mode = 'not allowed' | 'allowed by name' | 'allowed by *';

/** Every place a reference can be: the job, what it references, the field named, what else it needs. */
const SITES: Site[] = [
  ['${env:} in url', { url: 'https://${env:HOST}/health' }, 'env', 'HOST', 'url'],
  ['${env:} in a header', { headers: { 'x-token': '${env:AzureWebJobsStorage}' } }, 'env', 'AzureWebJobsStorage', 'headers.x-token'],
  ['${env:} with a fallback', { headers: { 'x-token': '${env:AzureWebJobsStorage:-none}' } }, 'env', 'AzureWebJobsStorage', 'headers.x-token'],
  ['${env:} in a text body', { method: 'POST', body: 'key=${env:AzureWebJobsStorage}' }, 'env', 'AzureWebJobsStorage', 'body'],
  ['${env:} in a JSON body', { method: 'POST', body: { deep: [{ key: '${env:AzureWebJobsStorage}' }] } }, 'env', 'AzureWebJobsStorage', 'body'],
  ['${env:} in auth.tokenUrl', { auth: oauth2({ tokenUrl: 'https://login.test/${env:TENANT}/token' }) }, 'env', 'TENANT', 'auth.tokenUrl', { secrets: ['client-secret'] }],
  ['${env:} in auth.clientId (oauth2)', { auth: oauth2({ clientId: '${env:APP}' }) }, 'env', 'APP', 'auth.clientId', { secrets: ['client-secret'] }],
  ['${env:} in auth.scope (oauth2)', { auth: oauth2({ scope: '${env:SCOPE}' }) }, 'env', 'SCOPE', 'auth.scope', { secrets: ['client-secret'] }],
  ['${env:} in auth.username', { auth: { type: 'basic', username: '${env:SVC}', secret: 'svc-password' } }, 'env', 'SVC', 'auth.username', { secrets: ['svc-password'] }],
  ['${env:} in auth.scope (managedIdentity)', { auth: { type: 'managedIdentity', scope: '${env:SCOPE}' } }, 'env', 'SCOPE', 'auth.scope', { managedIdentityScopes: [ENV.SCOPE] }],
  [
    '${env:} in auth.clientId (managedIdentity)',
    { auth: { type: 'managedIdentity', scope: ENV.SCOPE, clientId: '${env:APP}' } },
    'env', 'APP', 'auth.clientId',
    { managedIdentityScopes: [ENV.SCOPE], managedIdentityClientIds: ['app-id'] },
  ],
  ['${secret:} in url', { url: 'https://target.test/?k=${secret:api-key}' }, 'secrets', 'api-key', 'url'],
  ['${secret:} in a header', { headers: { 'x-api-key': '${secret:api-key}' } }, 'secrets', 'api-key', 'headers.x-api-key'],
  ['a pinned ${secret:}', { headers: { 'x-api-key': `\${secret:api-key/${VERSION}}` } }, 'secrets', 'api-key', 'headers.x-api-key'],
  ['${secret:} in a text body', { method: 'POST', body: 'k=${secret:api-key}' }, 'secrets', 'api-key', 'body'],
  ['${secret:} in a JSON body', { method: 'POST', body: { k: ['${secret:api-key}'] } }, 'secrets', 'api-key', 'body'],
  ['${secret:} an allowed setting brings in', { headers: { 'x-k': '${env:WITH_SECRET}' } }, 'secrets', 'vault-only', 'headers.x-k', { env: ['WITH_SECRET'] }],
  ['auth.secret of bearer', { auth: { type: 'bearer', secret: 'api-key' } }, 'secrets', 'api-key', 'auth.secret'],
  ['auth.secret of basic', { auth: { type: 'basic', username: 'svc', secret: 'api-key' } }, 'secrets', 'api-key', 'auth.secret'],
  ['auth.secret of apiKey (header)', { auth: { type: 'apiKey', header: 'X-Key', secret: 'api-key' } }, 'secrets', 'api-key', 'auth.secret'],
  ['auth.secret of apiKey (query)', { auth: { type: 'apiKey', query: 'key', secret: 'api-key' } }, 'secrets', 'api-key', 'auth.secret'],
  ['auth.secret of oauth2ClientCredentials', { auth: oauth2({ secret: 'api-key' }) }, 'secrets', 'api-key', 'auth.secret'],
  ['auth.secret of clientCertificate', { auth: { type: 'clientCertificate', secret: 'api-key' } }, 'secrets', 'api-key', 'auth.secret'],
  ['a managed identity scope', { auth: { type: 'managedIdentity', scope: ARM } }, 'managedIdentityScopes', ARM, 'auth.scope'],
  [
    'a user-assigned identity',
    { auth: { type: 'managedIdentity', scope: ENV.SCOPE, clientId: 'uai-1' } },
    'managedIdentityClientIds', 'uai-1', 'auth.clientId',
    { managedIdentityScopes: [ENV.SCOPE] },
  ],
];

const MODES: Mode[] = ['not allowed', 'allowed by name', 'allowed by *'];
const CASES = SITES.flatMap(([site, input, kind, name, field, needs = {}]) =>
  MODES.map((mode) => [`${site}: ${mode}`, mode, input, kind, name, field, needs] as [string, Mode, Record<string, unknown>, ReferenceKind, string, string, Partial<ReferencePolicy>]),
);

describe('sandboxed references (API jobs and unsaved runs)', () => {
  it.each(CASES)(
    '%s',
    (_title, mode, input, kind, name, field, needs) => {
      const policy: ReferencePolicy = { ...CLOSED, ...needs, ...(mode === 'not allowed' ? {} : { [kind]: mode === 'allowed by *' ? '*' : [name] }) };
      const { job, issues } = compile(input, policy);
      if (mode !== 'not allowed') {
        expect(issues).toEqual([]);
        expect(job).toBeDefined();
        return;
      }
      expect(job).toBeUndefined();
      expect(issues.length).toBeGreaterThan(0);
      for (const issue of issues) expect(issue.path).toBe(field);
      expect(issues.map((i) => i.message).join('\n')).toContain(SETTING[kind]);
      // Refused, the value is never read: no message holds it.
      for (const value of Object.values(ENV)) if (!value.startsWith('${')) expect(JSON.stringify(issues)).not.toContain(value);
    },
  );

  it.each(SITES)('the jobs file keeps %s', (_site, input) => {
    const { issues } = compileJob({ name: 'j', url: 'https://target.test/', ...input } as JobInput, {}, { env: ENV, source: 'config', where: '', pathPrefix: '' });
    expect(issues).toEqual([]);
  });

  it('names the field, the reference and the setting to change, never the value', () => {
    const { issues } = compile(
      {
        url: 'https://target.test/?k=${secret:api-key}',
        headers: { 'x-token': '${env:AzureWebJobsStorage}', 'x-other': '${env:NOT_SET_ANYWHERE}' },
        auth: { type: 'managedIdentity', scope: ARM, clientId: 'uai-1' },
      },
      CLOSED,
    );
    expect(issues).toEqual([
      { path: 'headers.x-token', message: 'headers.x-token references ${env:AzureWebJobsStorage}, which API jobs may not use: add it to PULSECHECK_API_ENV_ALLOW' },
      // Whether a setting exists is not said either: "not set" would tell it apart from a set one.
      { path: 'headers.x-other', message: 'headers.x-other references ${env:NOT_SET_ANYWHERE}, which API jobs may not use: add it to PULSECHECK_API_ENV_ALLOW' },
      { path: 'url', message: 'url references ${secret:api-key}, a secret API jobs may not use: add api-key to PULSECHECK_API_SECRETS_ALLOW' },
      { path: 'auth.scope', message: `auth.scope "${ARM}" is a managed identity scope API jobs may not use: add it to PULSECHECK_API_MI_SCOPES_ALLOW` },
      {
        path: 'auth.clientId',
        message: "auth.clientId chooses one of the app's user-assigned identities, which API jobs may not do: leave it out to use the app's own identity, or define the job in the jobs file",
      },
    ]);
  });

  it('an allowed name is substituted and reported as the jobs file would', () => {
    const policy = { ...CLOSED, env: ['HOST', 'UNSET'] };
    expect(compile({ url: 'https://${env:HOST}/' }, policy).job?.url).toBe('https://target.test/');
    expect(compile({ headers: { x: '${env:UNSET}' } }, policy).issues).toEqual([{ path: 'headers.x', message: 'headers.x references ${env:UNSET}, which is not set' }]);
  });
});

describe('settings of the API sandbox', () => {
  it('are closed by default; API jobs get a quarter of the bulkhead', () => {
    const settings = loadSettings({});
    expect(settings.apiSandbox).toEqual(CLOSED);
    expect(settings.maxApiJobs).toBe(1_000);
    expect(settings.apiMaxConcurrency).toBe(256);
  });

  it('open what they list, never a user-assigned identity', () => {
    const settings = loadSettings({
      PULSECHECK_API_ENV_ALLOW: ' HOST, TENANT ',
      PULSECHECK_API_SECRETS_ALLOW: '*',
      PULSECHECK_API_MI_SCOPES_ALLOW: 'api://target/.default',
      PULSECHECK_MAX_API_JOBS: '5',
      PULSECHECK_MAX_CONCURRENCY: '3',
    });
    expect(settings.apiSandbox).toEqual({ env: ['HOST', 'TENANT'], secrets: '*', managedIdentityScopes: ['api://target/.default'], managedIdentityClientIds: [] });
    expect(settings.maxApiJobs).toBe(5);
    expect(settings.apiMaxConcurrency).toBe(1);
    expect(loadSettings({ PULSECHECK_API_MAX_CONCURRENCY: '7' }).apiMaxConcurrency).toBe(7);
  });

  it.each([
    ['PULSECHECK_API_ENV_ALLOW', 'HOST,NOT-A-NAME', '"NOT-A-NAME"'],
    ['PULSECHECK_API_SECRETS_ALLOW', 'api_key', '"api_key"'],
    ['PULSECHECK_API_MI_SCOPES_ALLOW', 'api://a b', '"api://a b"'],
    ['PULSECHECK_MAX_API_JOBS', '-1', 'integer from 0'],
    ['PULSECHECK_API_MAX_CONCURRENCY', '0', 'integer from 1'],
  ])('%s=%j is refused at start', (name, value, expected) => {
    expect(() => loadSettings({ [name]: value })).toThrow(expected);
  });
});
