import { describe, expect, it } from 'vitest';
import { allows, CLOSED, parseAllowList, UNRESTRICTED, type ReferenceKind, type ReferencePolicy } from '../../../src/domain/sandbox.js';

const policy = (lists: Partial<ReferencePolicy>): ReferencePolicy => ({ ...CLOSED, ...lists });

describe('reference policy', () => {
  it.each([
    ['', []],
    [undefined, []],
    [' A , ,B ', ['A', 'B']],
    ['*', '*'],
    ['A,*', '*'],
    ['https://vault.azure.net/.default', ['https://vault.azure.net/.default']],
  ] as const)('parseAllowList(%j) is %j', (text, expected) => {
    expect(parseAllowList(text)).toEqual(expected);
  });

  it.each<[string, ReferencePolicy, ReferenceKind, string, boolean]>([
    ['closed: no env', CLOSED, 'env', 'HOST', false],
    ['closed: no secret', CLOSED, 'secrets', 'api-key', false],
    ['closed: no scope', CLOSED, 'managedIdentityScopes', 'https://management.azure.com/.default', false],
    ['closed: no client ID', CLOSED, 'managedIdentityClientIds', 'uai-1', false],
    ['unrestricted: any env', UNRESTRICTED, 'env', 'AzureWebJobsStorage', true],
    ['unrestricted: any client ID', UNRESTRICTED, 'managedIdentityClientIds', 'uai-1', true],
    ['env listed', policy({ env: ['HOST'] }), 'env', 'HOST', true],
    ['env: names are case-sensitive', policy({ env: ['HOST'] }), 'env', 'host', false],
    ['env: another name', policy({ env: ['HOST'] }), 'env', 'IDENTITY_HEADER', false],
    ['env *', policy({ env: '*' }), 'env', 'IDENTITY_HEADER', true],
    ['secret listed', policy({ secrets: ['api-key'] }), 'secrets', 'api-key', true],
    ['secret: ignoring case, as Key Vault', policy({ secrets: ['api-key'] }), 'secrets', 'API-Key', true],
    ['secret: a prefix is not the name', policy({ secrets: ['api'] }), 'secrets', 'api-key', false],
    ['secret *', policy({ secrets: '*' }), 'secrets', 'any', true],
    ['scope listed', policy({ managedIdentityScopes: ['api://t/.default'] }), 'managedIdentityScopes', 'api://t/.default', true],
    ['scope: exactly', policy({ managedIdentityScopes: ['api://t/.default'] }), 'managedIdentityScopes', 'api://t//.default', false],
    ['scope *', policy({ managedIdentityScopes: '*' }), 'managedIdentityScopes', 'https://management.azure.com/.default', true],
    ['a list of one kind opens no other', policy({ env: '*', secrets: '*', managedIdentityScopes: '*' }), 'managedIdentityClientIds', 'uai-1', false],
  ])('%s', (_what, given, kind, name, expected) => {
    expect(allows(given, kind, name)).toBe(expected);
  });
});
