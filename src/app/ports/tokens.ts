/** An access token and how long it stays valid. */
export interface AccessToken {
  readonly token: string;
  /** Lifetime left when it was received, in milliseconds. */
  readonly expiresInMs: number;
}

/**
 * A token, or why not (a message that never holds a secret or a token). `blocked`: the target guard
 * refused the token endpoint's address (the run is then `blocked-target`).
 */
export type TokenResult =
  | { readonly ok: true; readonly token: AccessToken }
  | { readonly ok: false; readonly message: string; readonly blocked?: true };

/** An OAuth2 client credentials grant (RFC 6749 §4.4). */
export interface ClientCredentialsGrant {
  readonly tokenUrl: string;
  readonly clientId: string;
  readonly clientSecret: string;
  readonly scope?: string;
}

/** Calls OAuth2 token endpoints. Caching is the caller's (app/tokenCache.ts). */
export interface OAuth2Client {
  clientCredentials(grant: ClientCredentialsGrant, signal: AbortSignal): Promise<TokenResult>;
  /** Closes pooled connections. */
  close(): Promise<void>;
}

/**
 * Entra ID tokens for the app's managed identity (`@azure/identity`). `clientId` picks a
 * user-assigned identity; without it, `AZURE_CLIENT_ID` or the system-assigned identity.
 */
export interface ManagedIdentityTokens {
  getToken(scope: string, clientId: string | undefined, signal: AbortSignal): Promise<TokenResult>;
}
