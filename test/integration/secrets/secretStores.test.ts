import type { TokenCredential } from '@azure/identity';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { AzureIdentity, createCredential } from '../../../src/adapters/azure-identity/azureIdentity.js';
import { EnvSecretStore, secretSetting } from '../../../src/adapters/env-secrets/envSecretStore.js';
import { KeyVaultSecretStore } from '../../../src/adapters/key-vault/keyVaultSecretStore.js';
import { SystemClock } from '../../../src/adapters/system-clock/systemClock.js';
import type { SecretStore } from '../../../src/app/ports/index.js';
import { MemorySecretStore } from '../../support/fakes.js';
import { startIdentityEndpoint, type FakeIdentityEndpoint } from '../../support/identity.js';
import { startFakeKeyVault, type FakeKeyVault } from '../../support/keyVault.js';

const never = () => new AbortController().signal;

interface Subject {
  readonly store: SecretStore;
  /** Adds a version of a secret; returns the version id. */
  set(name: string, value: string): string;
}

let identity: FakeIdentityEndpoint;
let vault: FakeKeyVault;

beforeAll(async () => {
  identity = await startIdentityEndpoint();
  // @azure/identity reads the App Service identity endpoint from the process environment.
  Object.assign(process.env, identity.env);
  vault = await startFakeKeyVault(inject('trustedTls'), (token) => identity.accepts(token, 'https://vault.azure.net'));
});
afterAll(async () => {
  await vault.server.close();
  await identity.server.close();
});

/** The managed identity credential the app builds in Azure, reaching the local identity endpoint. */
const keyVaultStore = (disableChallengeResourceVerification = true) =>
  new KeyVaultSecretStore({
    url: vault.url,
    credential: () => new AzureIdentity((clientId) => createCredential({ inAzure: true, clientId }), new SystemClock()).credential(),
    disableChallengeResourceVerification,
  });

const subjects: Array<[string, () => Subject]> = [
  ['the in-memory fake', () => {
    const store = new MemorySecretStore();
    return { store, set: (name, value) => store.set(name, value) };
  }],
  ['settings (PULSECHECK_SECRET_*)', () => {
    const env: Record<string, string> = {};
    let n = 0;
    return {
      store: new EnvSecretStore(env),
      set(name, value) {
        const version = (++n).toString(16).padStart(32, 'a');
        env[secretSetting(name)] = value;
        env[secretSetting(name, version)] = value;
        return version;
      },
    };
  }],
  ['Key Vault (HTTPS fake, managed identity, challenge flow)', () => ({ store: keyVaultStore(), set: (name, value) => vault.set(name, value) })],
];

/** One contract, every SecretStore: the fake the unit tests use behaves like the real adapters. */
describe.each(subjects)('SecretStore contract: %s', (_name, make) => {
  let subject: Subject;
  beforeAll(() => {
    subject = make();
  });

  it('reads the latest version of a secret', async () => {
    subject.set('api-token', 'first-value');
    subject.set('api-token', 'second-value');
    expect(await subject.store.get('api-token', undefined, never())).toEqual({ ok: true, value: 'second-value' });
  });

  it('reads a pinned version', async () => {
    const version = subject.set('pinned', 'old-value');
    subject.set('pinned', 'new-value');
    expect(await subject.store.get('pinned', version, never())).toEqual({ ok: true, value: 'old-value' });
  });

  it('treats names case-insensitively, as Key Vault does', async () => {
    subject.set('Mixed-Case', 'case-value');
    expect(await subject.store.get('mixed-case', undefined, never())).toEqual({ ok: true, value: 'case-value' });
  });

  it('reports a missing secret as not-found, with a message and no value', async () => {
    subject.set('present', 'present-value');
    const result = await subject.store.get('absent', undefined, never());
    expect(result).toMatchObject({ ok: false, reason: 'not-found' });
    expect(JSON.stringify(result)).not.toContain('present-value');
  });
});

describe('KeyVaultSecretStore against the fake vault', () => {
  it('authenticates with the bearer challenge: an unauthenticated request, then a managed identity token for the vault', async () => {
    vault.set('challenge-check', 'challenge-value');
    const before = vault.challenges;
    const result = await keyVaultStore().get('challenge-check', undefined, never());
    expect(result).toEqual({ ok: true, value: 'challenge-value' });
    expect(vault.challenges).toBe(before + 1);
    expect(identity.calls.at(-1)).toEqual({ resource: 'https://vault.azure.net', clientId: null });
  });

  it('refuses a vault whose domain does not match the challenge unless verification is disabled', async () => {
    vault.set('domain-check', 'domain-value');
    const result = await keyVaultStore(false).get('domain-check', undefined, never());
    expect(result).toMatchObject({ ok: false, reason: 'unavailable' });
    expect(!result.ok && result.message).toMatch(/challenge resource 'vault\.azure\.net' does not match/);
  });

  it.each([
    ['forbidden', 'denied', /refused access \(Forbidden\).*Key Vault Secrets User/],
    ['down', 'unavailable', /answered 503 \(ServiceUnavailable\)/],
  ] as const)('maps a vault that is %s to %s', async (mode, reason, message) => {
    vault.set('mode-check', 'mode-value');
    const store = keyVaultStore();
    vault.mode = mode;
    try {
      const result = await store.get('mode-check', undefined, never());
      expect(result).toMatchObject({ ok: false, reason });
      expect(!result.ok && result.message).toMatch(message);
    } finally {
      vault.mode = 'up';
    }
  });

  it('stops waiting when the signal aborts', async () => {
    vault.set('hang-check', 'hang-value');
    vault.mode = 'hang';
    try {
      const result = await keyVaultStore().get('hang-check', undefined, AbortSignal.timeout(300));
      expect(result).toMatchObject({ ok: false, reason: 'unavailable' });
    } finally {
      vault.mode = 'up';
    }
  });
});

describe('AzureIdentity', () => {
  it('creates one credential per client ID, and tries again after a creation that failed', async () => {
    let calls = 0;
    const made: TokenCredential = { getToken: async () => null };
    const identities = new AzureIdentity(() => {
      calls++;
      if (calls === 1) throw new Error('cannot load @azure/identity');
      return made;
    }, new SystemClock());
    await expect(identities.credential()).rejects.toThrow('cannot load @azure/identity');
    expect(await identities.credential()).toBe(made);
    expect(await identities.credential()).toBe(made);
    expect(calls).toBe(2);
  });
});

describe('EnvSecretStore', () => {
  it('never uses an App Service Key Vault reference the platform left unresolved', async () => {
    const store = new EnvSecretStore({ PULSECHECK_SECRET_API_TOKEN: '@Microsoft.KeyVault(SecretUri=https://v.vault.azure.net/secrets/api-token/)' });
    const result = await store.get('api-token', undefined);
    expect(result).toMatchObject({ ok: false, reason: 'denied' });
    expect(!result.ok && result.message).toContain('PULSECHECK_SECRET_API_TOKEN holds a Key Vault reference the platform could not resolve');
  });

  it.each([
    ['api-token', undefined, 'PULSECHECK_SECRET_API_TOKEN'],
    ['Db-Password-2', undefined, 'PULSECHECK_SECRET_DB_PASSWORD_2'],
    ['api-token', '0123456789abcdef0123456789abcdef', 'PULSECHECK_SECRET_API_TOKEN__0123456789ABCDEF0123456789ABCDEF'],
  ])('names the setting of %s (version %s) %s', (name, version, setting) => {
    expect(secretSetting(name, version)).toBe(setting);
  });
});
