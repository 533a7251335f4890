import { z } from 'zod';

/** The App Service Authentication principal of a request, as Pulsecheck uses it. */
export interface Principal {
  /** A stable id (the object id), when the platform gives one. */
  readonly id: string | undefined;
  /** A readable name (user principal name, e-mail, or app name), when the platform gives one. */
  readonly name: string | undefined;
  /** The values of the role claims (Entra app roles such as `Pulsecheck.Reader`). */
  readonly roles: readonly string[];
}

/** Longest header accepted, in characters (a principal with many group claims is a few KB). */
const MAX_HEADER = 64 * 1024;

const claim = z.object({ typ: z.string(), val: z.string() });
const principalSchema = z.object({
  auth_typ: z.string().optional(),
  // A malformed claim is skipped, not a reason to drop the whole principal.
  claims: z.array(z.unknown()).max(10_000).transform((claims) => claims.flatMap((c) => {
    const parsed = claim.safeParse(c);
    return parsed.success ? [parsed.data] : [];
  })),
  name_typ: z.string().optional(),
  role_typ: z.string().optional(),
});

const ROLE_TYPES = ['roles', 'http://schemas.microsoft.com/ws/2008/06/identity/claims/role'];
const ID_TYPES = ['http://schemas.microsoft.com/identity/claims/objectidentifier', 'oid', 'sub'];
const NAME_TYPES = ['name', 'preferred_username', 'upn', 'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/upn', 'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress'];

/**
 * Parses `x-ms-client-principal` (base64 of JSON `{ auth_typ, claims: [{ typ, val }], name_typ, role_typ }`).
 * Anything malformed (bad base64, bad JSON, no `claims` list, too long) is `undefined`: an anonymous
 * caller, never an error. Role claims are those of type `role_typ` (default `roles`).
 */
export function parsePrincipal(header: string | null | undefined): Principal | undefined {
  if (!header || header.length > MAX_HEADER) return undefined;
  let json: unknown;
  try {
    json = JSON.parse(Buffer.from(header, 'base64').toString('utf8'));
  } catch {
    return undefined;
  }
  const parsed = principalSchema.safeParse(json);
  if (!parsed.success) return undefined;
  const { claims, name_typ: nameType, role_typ: roleType } = parsed.data;
  const first = (types: readonly string[]) => types.map((t) => claims.find((c) => c.typ === t)?.val).find((v) => v !== undefined && v !== '');
  const roleTypes = roleType ? [roleType] : ROLE_TYPES;
  return {
    id: first(ID_TYPES),
    name: first(nameType ? [nameType, ...NAME_TYPES] : NAME_TYPES),
    roles: claims.filter((c) => roleTypes.includes(c.typ)).map((c) => c.val),
  };
}
