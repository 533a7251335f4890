/**
 * What a sandboxed job may reference. Jobs of the jobs file are written by the operators and may
 * reference every setting, secret and identity the app has. Jobs created through the API and
 * unsaved runs (`POST /api/runs`) are written by whoever holds a key, and they choose the URL their
 * request goes to: whatever they may reference can be sent to a server of their choosing. So they
 * reach only what a `ReferencePolicy` allows, and the policy the app gives API callers is closed
 * unless its settings open it.
 * @see ../../docs/security.md#scoped-references
 */

/** The names allowed: `'*'` allows every name; an empty list, none. */
export type AllowList = '*' | readonly string[];

export interface ReferencePolicy {
  /** Names for `${env:NAME}`, compared exactly (environment names are case-sensitive on Linux). */
  readonly env: AllowList;
  /** Secret names for `${secret:…}` and `auth.secret`, ignoring case (as Key Vault does) and the version. */
  readonly secrets: AllowList;
  /** Scopes for `managedIdentity` auth (e.g. `api://pulsecheck-target/.default`), compared exactly. */
  readonly managedIdentityScopes: AllowList;
  /**
   * Client IDs for `managedIdentity` auth's `clientId`, ignoring case. Choosing one of the app's
   * user-assigned identities is a privilege of its own: without a `clientId` a job uses the app's
   * default identity (`AZURE_CLIENT_ID`, else the system-assigned one).
   */
  readonly managedIdentityClientIds: AllowList;
}

export type ReferenceKind = keyof ReferencePolicy;

/** Literal values only: no setting, no secret, no identity. */
export const CLOSED: ReferencePolicy = { env: [], secrets: [], managedIdentityScopes: [], managedIdentityClientIds: [] };

/** Every reference, as the jobs file has: for a caller trusted as much as the operators. */
export const UNRESTRICTED: ReferencePolicy = { env: '*', secrets: '*', managedIdentityScopes: '*', managedIdentityClientIds: '*' };

const IGNORING_CASE: ReadonlySet<ReferenceKind> = new Set<ReferenceKind>(['secrets', 'managedIdentityClientIds']);

/** Whether `policy` lets a sandboxed job use `name` (an env name, a secret name, a scope, a client ID). */
export function allows(policy: ReferencePolicy, kind: ReferenceKind, name: string): boolean {
  const list = policy[kind];
  if (list === '*') return true;
  if (!IGNORING_CASE.has(kind)) return list.includes(name);
  const lower = name.toLowerCase();
  return list.some((allowed) => allowed.toLowerCase() === lower);
}

/**
 * A comma-separated list as a setting holds it: entries trimmed, empty ones dropped; an entry `*`
 * allows every name. Unset or blank: none.
 */
export function parseAllowList(text: string | undefined): AllowList {
  const names = (text ?? '')
    .split(',')
    .map((name) => name.trim())
    .filter((name) => name !== '');
  return names.includes('*') ? '*' : names;
}
