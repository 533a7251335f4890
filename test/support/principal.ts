/** What App Service Authentication puts in `x-ms-client-principal`: base64 of this JSON. */
export interface PrincipalJson {
  auth_typ?: string;
  claims?: unknown[];
  name_typ?: string;
  role_typ?: string;
}

export const OBJECT_ID = 'http://schemas.microsoft.com/identity/claims/objectidentifier';

/** The principal JSON of an Entra user `id` with these app roles, as the platform builds it. */
export function principalJson(id: string, roles: readonly string[]): PrincipalJson {
  return {
    auth_typ: 'aad',
    name_typ: 'name',
    role_typ: 'roles',
    claims: [{ typ: 'name', val: `${id}@example.test` }, { typ: OBJECT_ID, val: `oid-${id}` }, ...roles.map((val) => ({ typ: 'roles', val }))],
  };
}

export const encodePrincipal = (json: unknown): string => Buffer.from(JSON.stringify(json)).toString('base64');

/** The headers App Service Authentication adds for the principal `id` holding `roles`. */
export function principalHeaders(id: string, roles: readonly string[]): Record<string, string> {
  return {
    'x-ms-client-principal': encodePrincipal(principalJson(id, roles)),
    'x-ms-client-principal-id': `oid-${id}`,
    'x-ms-client-principal-name': `${id}@example.test`,
    'x-ms-client-principal-idp': 'aad',
  };
}
