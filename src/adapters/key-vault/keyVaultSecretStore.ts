import type { TokenCredential } from '@azure/identity';
import type { SecretClient } from '@azure/keyvault-secrets';
import type { SecretResult, SecretStore } from '../../app/ports/index.js';
import { firstLine } from '../../domain/errors.js';

export interface KeyVaultOptions {
  /** The vault, e.g. `https://my-vault.vault.azure.net/` (`KEY_VAULT_URL`). */
  readonly url: string;
  /** The credential, asked for on the first read. */
  readonly credential: () => Promise<TokenCredential>;
  /**
   * Skip the SDK's check that the challenge's resource matches the vault's domain: for vaults behind
   * a custom domain (`KEY_VAULT_DISABLE_CHALLENGE_RESOURCE_VERIFICATION=true`). Default false.
   */
  readonly disableChallengeResourceVerification?: boolean;
}

/**
 * Secrets from Azure Key Vault (`@azure/keyvault-secrets`). The SDK's own retry is kept short: the
 * caller bounds each read with a timeout and a circuit breaker, and falls back to cached values.
 * The SDK is loaded and the client built on the first read.
 */
export class KeyVaultSecretStore implements SecretStore {
  readonly description: string;
  readonly #options: KeyVaultOptions;
  #client: Promise<SecretClient> | undefined;

  constructor(options: KeyVaultOptions) {
    this.description = `Key Vault ${options.url}`;
    this.#options = options;
  }

  async get(name: string, version: string | undefined, signal: AbortSignal): Promise<SecretResult> {
    try {
      const client = await (this.#client ??= this.#connect());
      const secret = await client.getSecret(name, { ...(version === undefined ? {} : { version }), abortSignal: signal });
      if (secret.value === undefined) return { ok: false, reason: 'not-found', message: `${this.description} returned no value` };
      return { ok: true, value: secret.value };
    } catch (error) {
      return this.#failure(error);
    }
  }

  async #connect(): Promise<SecretClient> {
    try {
      const { SecretClient } = await import('@azure/keyvault-secrets');
      return new SecretClient(this.#options.url, await this.#options.credential(), {
        disableChallengeResourceVerification: this.#options.disableChallengeResourceVerification ?? false,
        retryOptions: { maxRetries: 2, retryDelayInMs: 200, maxRetryDelayInMs: 2_000 },
      });
    } catch (error) {
      this.#client = undefined; // try again on the next read
      throw error;
    }
  }

  #failure(error: unknown): SecretResult {
    const { statusCode, code, name, message } = error as { statusCode?: number; code?: string; name?: string; message?: string };
    const why = firstLine(message);
    if (statusCode === 404 || statusCode === 400) return { ok: false, reason: 'not-found', message: `not found in ${this.description} (${code ?? statusCode})` };
    if (statusCode === 401 || statusCode === 403) {
      return {
        ok: false,
        reason: 'denied',
        message: `${this.description} refused access (${code ?? statusCode}): the app's identity needs the "Key Vault Secrets User" role`,
      };
    }
    if (statusCode !== undefined) return { ok: false, reason: 'unavailable', message: `${this.description} answered ${statusCode}${code ? ` (${code})` : ''}` };
    if (name === 'CredentialUnavailableError' || name === 'AuthenticationError') {
      return { ok: false, reason: 'unavailable', message: `no token for ${this.description}: ${why}` };
    }
    return { ok: false, reason: 'unavailable', message: `${this.description} did not answer: ${why}` };
  }
}
