import { describe, expect, it } from 'vitest';
import { parsePrincipal } from '../../../src/config/principal.js';
import { allows, roleOfAppRoles, type Role } from '../../../src/domain/access.js';
import { encodePrincipal, OBJECT_ID, principalJson } from '../../support/principal.js';

describe('parsePrincipal (x-ms-client-principal)', () => {
  it('reads the id, the name and the role claims of the platform principal', () => {
    expect(parsePrincipal(encodePrincipal(principalJson('ada', ['Pulsecheck.Reader', 'Other'])))).toEqual({
      id: 'oid-ada',
      name: 'ada@example.test',
      roles: ['Pulsecheck.Reader', 'Other'],
    });
  });

  it.each([
    ['role_typ names the role claim type', { role_typ: 'http://schemas.microsoft.com/ws/2008/06/identity/claims/role', claims: [{ typ: 'http://schemas.microsoft.com/ws/2008/06/identity/claims/role', val: 'Pulsecheck.Admin' }, { typ: 'roles', val: 'Pulsecheck.Reader' }] }, ['Pulsecheck.Admin']],
    ['without role_typ, "roles" claims count', { claims: [{ typ: 'roles', val: 'Pulsecheck.Operator' }] }, ['Pulsecheck.Operator']],
    ['malformed claims are skipped, not fatal', { claims: [{ typ: 'roles' }, 7, null, { typ: 'roles', val: 'Pulsecheck.Reader' }] }, ['Pulsecheck.Reader']],
    ['an empty claims list', { auth_typ: 'aad', claims: [] }, []],
  ])('%s', (_case, json, roles) => {
    expect(parsePrincipal(encodePrincipal(json))?.roles).toEqual(roles);
  });

  it('takes the name from name_typ, else a usual name claim; the id from the object id', () => {
    const principal = parsePrincipal(encodePrincipal({ name_typ: 'custom', claims: [{ typ: 'preferred_username', val: 'p@x' }, { typ: 'custom', val: 'c@x' }, { typ: OBJECT_ID, val: '42' }] }));
    expect(principal).toMatchObject({ id: '42', name: 'c@x' });
    expect(parsePrincipal(encodePrincipal({ claims: [{ typ: 'preferred_username', val: 'p@x' }] }))).toMatchObject({ id: undefined, name: 'p@x' });
  });

  it.each([
    ['absent', null],
    ['empty', ''],
    ['not base64 of JSON', '!!!not-base64!!!'],
    ['base64 of text', Buffer.from('hello').toString('base64')],
    ['JSON that is not an object', encodePrincipal([1, 2])],
    ['claims that are not a list', encodePrincipal({ claims: 'roles=Pulsecheck.Admin' })],
    ['no claims list (base64 is lenient: "e30K!!" is "{}")', 'e30K!!'],
    ['a role_typ that is not text', encodePrincipal({ role_typ: 5, claims: [] })],
    ['over 64 KB (a valid principal, padded)', encodePrincipal({ claims: Array.from({ length: 2_000 }, () => ({ typ: 'roles', val: 'Pulsecheck.Admin' })) })],
  ])('is undefined (anonymous), never an error, when %s', (_case, header) => {
    expect(parsePrincipal(header)).toBeUndefined();
  });
});

describe('roles', () => {
  it.each<[string[], Role]>([
    [[], 'anonymous'],
    [['Something.Else'], 'anonymous'],
    [['Pulsecheck.Reader'], 'reader'],
    [['Pulsecheck.Operator'], 'operator'],
    [['Pulsecheck.Admin'], 'admin'],
    [['Pulsecheck.Reader', 'Pulsecheck.Admin', 'Pulsecheck.Operator'], 'admin'],
    [['pulsecheck.operator', 'Pulsecheck.Reader'], 'operator'],
  ])('app roles %j grant %s (the highest wins)', (appRoles, role) => {
    expect(roleOfAppRoles(appRoles)).toBe(role);
  });

  it.each<[Role, Role, boolean]>([
    ['anonymous', 'anonymous', true],
    ['anonymous', 'reader', false],
    ['reader', 'reader', true],
    ['reader', 'operator', false],
    ['operator', 'reader', true],
    ['operator', 'admin', false],
    ['admin', 'operator', true],
  ])('%s may use a route needing %s: %s', (held, needed, allowed) => {
    expect(allows(held, needed)).toBe(allowed);
  });
});
