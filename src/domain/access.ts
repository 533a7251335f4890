import type { Actor } from './audit.js';

/**
 * Who may do what through the HTTP API. Each role includes the ones before it:
 * `reader` reads (jobs, runs, metrics, health detail), `operator` also runs checks,
 * `admin` also changes jobs and reads the audit log.
 */
export const ROLES = ['anonymous', 'reader', 'operator', 'admin'] as const;
export type Role = (typeof ROLES)[number];

/** Whether a caller holding `held` may use a route that needs `needed`. */
export const allows = (held: Role, needed: Role): boolean => ROLES.indexOf(held) >= ROLES.indexOf(needed);

/** The higher of two roles. */
export const higher = (a: Role, b: Role): Role => (allows(a, b) ? a : b);

/** Entra ID app roles (the `value` of each app role in the app registration) and the role each grants. */
export const APP_ROLES: Readonly<Record<string, Role>> = {
  'Pulsecheck.Reader': 'reader',
  'Pulsecheck.Operator': 'operator',
  'Pulsecheck.Admin': 'admin',
};

/**
 * The role a principal's app roles grant: the highest one known (compared ignoring case); `anonymous`
 * when none is. Unknown roles are ignored.
 */
export function roleOfAppRoles(appRoles: readonly string[]): Role {
  const known = new Map(Object.entries(APP_ROLES).map(([value, role]) => [value.toLowerCase(), role]));
  return appRoles.reduce<Role>((best, value) => higher(best, known.get(value.trim().toLowerCase()) ?? 'anonymous'), 'anonymous');
}

/** Rate limits count reads and writes separately: GET, HEAD and OPTIONS read, anything else writes. */
export type RequestKind = 'read' | 'write';
export const requestKind = (method: string): RequestKind => (/^(GET|HEAD|OPTIONS)$/i.test(method) ? 'read' : 'write');

/** Who makes a request, as far as the platform vouches for it. */
export interface Caller {
  /** What the caller may do. */
  readonly role: Role;
  /** True when the platform identified the caller (a principal, a function key, the metrics token, the local host). */
  readonly authenticated: boolean;
  /** Recorded in the audit log. */
  readonly actor: Actor;
  /** Rate-limit key: `principal:<id>`, else `address:<client address>`. */
  readonly key: string;
}
