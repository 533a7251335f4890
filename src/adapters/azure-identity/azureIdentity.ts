import type { TokenCredential } from '@azure/identity';
import type { Clock, ManagedIdentityTokens, TokenResult } from '../../app/ports/index.js';
import { firstLine } from '../../domain/errors.js';

export interface CredentialOptions {
  /**
   * Running in Azure (App Service / Functions set `IDENTITY_ENDPOINT`, `WEBSITE_INSTANCE_ID`): the
   * managed identity, reached through `IDENTITY_ENDPOINT` / `IDENTITY_HEADER`. Elsewhere
   * `DefaultAzureCredential` (environment, workload identity, Azure CLI, …).
   */
  readonly inAzure: boolean;
  /** A user-assigned identity's client ID (`AZURE_CLIENT_ID`); otherwise the system-assigned one. */
  readonly clientId?: string | undefined;
}

/** The app's Azure credential: `ManagedIdentityCredential` in Azure, `DefaultAzureCredential` elsewhere. */
export async function createCredential({ inAzure, clientId }: CredentialOptions): Promise<TokenCredential> {
  // Loaded on first use: @azure/identity (with MSAL) costs about 15 MB and half a second of start-up,
  // which an app without Key Vault or managed-identity jobs should not pay.
  const { DefaultAzureCredential, ManagedIdentityCredential } = await import('@azure/identity');
  if (inAzure) return new ManagedIdentityCredential(clientId === undefined ? {} : { clientId });
  return new DefaultAzureCredential(clientId === undefined ? {} : { managedIdentityClientId: clientId });
}

/**
 * Entra ID tokens from `@azure/identity`. Credentials are created on first use, one per client ID:
 * an app without Key Vault and without managed-identity jobs creates none (nothing probes the
 * instance metadata address). `create(clientId)` builds one; `undefined` is the app's default.
 */
export class AzureIdentity implements ManagedIdentityTokens {
  readonly #credentials = new Map<string, Promise<TokenCredential>>();

  constructor(
    readonly create: (clientId: string | undefined) => TokenCredential | Promise<TokenCredential>,
    readonly clock: Clock,
  ) {}

  /**
   * The credential for `clientId` (the app's default when undefined), created on first use. A
   * creation that failed (the SDK could not be loaded) is not kept: the next call tries again.
   */
  credential(clientId?: string): Promise<TokenCredential> {
    const key = clientId ?? '';
    let credential = this.#credentials.get(key);
    if (!credential) {
      const created = Promise.resolve().then(() => this.create(clientId));
      created.catch(() => {
        if (this.#credentials.get(key) === created) this.#credentials.delete(key);
      });
      this.#credentials.set(key, (credential = created));
    }
    return credential;
  }

  async getToken(scope: string, clientId: string | undefined, signal: AbortSignal): Promise<TokenResult> {
    try {
      const token = await (await this.credential(clientId)).getToken(scope, { abortSignal: signal });
      if (!token) return { ok: false, message: 'the credential returned no token' };
      return { ok: true, token: { token: token.token, expiresInMs: token.expiresOnTimestamp - this.clock.now() } };
    } catch (error) {
      return { ok: false, message: firstLine((error as Error).message ?? String(error)) };
    }
  }
}
