/**
 * Why a secret could not be read. `not-found`: no such secret (or version). `denied`: the store
 * refused (no access, or a setting holds an unresolved Key Vault reference). `unavailable`: the
 * store did not answer (network, 5xx, throttling, timeout): the only reason that counts against
 * the store's circuit breaker.
 */
export type SecretFailure = 'not-found' | 'denied' | 'unavailable';

/** A read: the value, or why not. Messages name the secret and the store, never a value. */
export type SecretResult =
  | { readonly ok: true; readonly value: string }
  | { readonly ok: false; readonly reason: SecretFailure; readonly message: string };

/**
 * Where secret values live: Azure Key Vault, or the environment for local development. A failed
 * read is data, never a rejection. Caching, timeouts and fallbacks are the caller's (app/secrets.ts).
 */
export interface SecretStore {
  /** Names the store in messages and `/api/health`, e.g. `Key Vault https://x.vault.azure.net/`. */
  readonly description: string;
  /** Reads the latest version of `name`, or `version` (32 hex digits) when given. */
  get(name: string, version: string | undefined, signal: AbortSignal): Promise<SecretResult>;
}
