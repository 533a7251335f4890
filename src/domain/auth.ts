/**
 * How a job authenticates, and the secrets it names. A job never holds a secret value: it holds
 * references (`auth.secret`, `${secret:name}`), resolved at run time.
 */

/** A Key Vault secret name: 1-127 letters, digits and `-` (Key Vault's own rule). */
export const SECRET_NAME = /^[0-9A-Za-z-]{1,127}$/;
/** A Key Vault secret version: 32 hexadecimal digits. */
export const SECRET_VERSION = /^[0-9A-Fa-f]{32}$/;
/** `name` or `name/version`. */
export const SECRET_ID = /^[0-9A-Za-z-]{1,127}(\/[0-9A-Fa-f]{32})?$/;
export const SECRET_ID_RULE = '1-127 letters, digits and "-", optionally followed by "/" and a version of 32 hex digits';

/** A reference to one secret, optionally pinned to a version. */
export interface SecretRef {
  readonly name: string;
  readonly version?: string;
  /** `name` or `name/version`, as written: how messages and caches name it. */
  readonly id: string;
}

export type Auth =
  | { readonly type: 'none' }
  | { readonly type: 'bearer'; readonly secret: SecretRef }
  | { readonly type: 'basic'; readonly username: string; readonly secret: SecretRef }
  /** Exactly one of `header` (lower-cased) and `query` is set. */
  | { readonly type: 'apiKey'; readonly header?: string; readonly query?: string; readonly secret: SecretRef }
  | {
      readonly type: 'oauth2ClientCredentials';
      readonly tokenUrl: string;
      readonly clientId: string;
      readonly secret: SecretRef;
      readonly scope?: string;
    }
  | { readonly type: 'managedIdentity'; readonly scope: string; readonly clientId?: string }
  /** Mutual TLS: the secret holds a PEM certificate (chain) and its private key. */
  | { readonly type: 'clientCertificate'; readonly secret: SecretRef };

export const NO_AUTH: Auth = { type: 'none' };

/**
 * Whether a job's request carries credentials: it names secrets (`${secret:…}`, `auth.secret`) or
 * authenticates (a token, a client certificate). Only such a request is prepared anew per run, and
 * sent again with fresh credentials when the target refuses them.
 */
export function carriesCredentials(job: { readonly secrets: readonly SecretRef[]; readonly auth: Auth }): boolean {
  return job.secrets.length > 0 || job.auth.type !== 'none';
}

/** Parses `name` or `name/version`; a string is the problem, e.g. for a config message. */
export function parseSecretRef(text: string): SecretRef | string {
  const [name = '', version, ...rest] = text.split('/');
  if (!SECRET_NAME.test(name) || rest.length > 0 || (version !== undefined && !SECRET_VERSION.test(version))) {
    return `is not a secret reference (expected ${SECRET_ID_RULE})`;
  }
  return version === undefined ? { name, id: name } : { name, version, id: text };
}

const REFERENCE = /\$\{secret:([^}]*)\}/g;
const OPENING = '${secret:';

/**
 * The `${secret:…}` references in a text. A malformed one (bad name, or no closing brace) is a
 * problem naming the reference, never the text around it (it may hold a value).
 */
export function findSecretRefs(text: string): { refs: SecretRef[]; problems: string[] } {
  const refs: SecretRef[] = [];
  const problems: string[] = [];
  if (!text.includes(OPENING)) return { refs, problems };
  for (const match of text.matchAll(REFERENCE)) {
    const parsed = parseSecretRef(match[1] as string);
    if (typeof parsed === 'string') problems.push(`references \${secret:${match[1]}}, whose name ${parsed}`);
    else refs.push(parsed);
  }
  if (text.replace(REFERENCE, '').includes(OPENING)) problems.push('has a ${secret: reference without its closing "}"');
  return { refs, problems };
}

/** Replaces each `${secret:id}` with `encode(value)`; `value(id)` is the resolved secret. */
export function fillSecrets(text: string, value: (id: string) => string, encode: (value: string) => string = (v) => v): string {
  return text.includes(OPENING) ? text.replace(REFERENCE, (_match, id: string) => encode(value(id))) : text;
}

/**
 * Whether a setting holds an App Service Key Vault reference (`@Microsoft.KeyVault(…)`) that the
 * platform failed to resolve: the platform replaces a reference with the secret, or leaves the
 * literal text when it cannot (no access, no such secret). Such a value is never used.
 * @see https://learn.microsoft.com/azure/app-service/app-service-key-vault-references
 */
export const isUnresolvedKeyVaultReference = (value: string | undefined): boolean =>
  value !== undefined && value.trimStart().startsWith('@Microsoft.KeyVault(');

const PEM_BLOCK = /-----BEGIN ([A-Z0-9 ]+)-----[\s\S]+?-----END \1-----/g;

/**
 * Splits a PEM bundle (as Key Vault stores a certificate with its key, content type
 * `application/x-pem-file`) into the certificate chain and the private key; `undefined` when either
 * is missing.
 */
export function splitPem(pem: string): { cert: string; key: string } | undefined {
  const certs: string[] = [];
  let key: string | undefined;
  for (const match of pem.matchAll(PEM_BLOCK)) {
    if (match[1] === 'CERTIFICATE') certs.push(match[0]);
    else if (match[1]?.endsWith('PRIVATE KEY')) key ??= match[0];
  }
  return certs.length > 0 && key !== undefined ? { cert: certs.join('\n'), key } : undefined;
}
