import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { APP_ROLES } from '../../../src/domain/access.js';
import { registry, type HttpFunction } from '../../../src/functions/registry.js';

/**
 * No Bicep compiler can be installed here (it is a .NET binary that npm wrappers download at run
 * time), so these tests check the template's contract with the app and the pipeline as text:
 * parameters, the settings the app reads, the staging slot's disabled timer, the names Jenkins uses.
 */
const bicep = readFileSync('infra/main.bicep', 'utf8');
const parameters = (JSON.parse(readFileSync('infra/main.parameters.json', 'utf8')) as { parameters: Record<string, unknown> }).parameters;
const jenkinsfile = readFileSync('Jenkinsfile', 'utf8');

const declared = new Map(
  [...bicep.matchAll(/^param (\w+) (\w+)( = .*)?$/gm)].map((m) => [m[1] as string, { type: m[2] as string, optional: m[3] !== undefined }]),
);

/** The first object literal of `var name = …` (directly, in `union(`, or after `cond ?`), as key → Bicep text. */
function objectVar(name: string): Record<string, string> {
  const match = new RegExp(`^var ${name} = (?:union\\(\\s*|\\w+\\s*\\?\\s*)?\\{\\n([\\s\\S]*?)\\n\\s*\\}`, 'm').exec(bicep);
  if (!match) throw new Error(`infra/main.bicep has no object var ${name}`);
  return Object.fromEntries(
    [...(match[1] as string).matchAll(/^\s+'?([\w.]+)'?: (.+)$/gm)].map((m) => [m[1] as string, (m[2] as string).trim()]),
  );
}

describe('infra/main.bicep and its parameters file', () => {
  it('declares every parameter the parameters file sets, and the file sets every required one', () => {
    expect(declared.size).toBeGreaterThan(5);
    for (const name of Object.keys(parameters)) expect(declared.has(name), `param ${name}`).toBe(true);
    for (const [name, param] of declared) if (!param.optional) expect(parameters, `required param ${name}`).toHaveProperty(name);
  });

  it('keeps the app name short enough that production and staging host IDs differ', () => {
    expect(bicep).toMatch(/@maxLength\(24\)\nparam appName string/);
    const appName = (parameters.appName as { value: string }).value;
    expect(`${appName}-staging`.length).toBeLessThanOrEqual(32);
  });

  it('disables every timer function in the staging slot with a sticky setting', () => {
    const stagingOnly = objectVar('stagingOnlySettings');
    for (const fn of registry.filter((f) => f.trigger === 'timer')) {
      expect(stagingOnly[`AzureWebJobs.${fn.name}.Disabled`], fn.name).toBe("'true'");
    }
    expect(bicep).toMatch(/name: 'slotConfigNames'[\s\S]*appSettingNames: objectKeys\(stagingOnlySettings\)/);
  });

  it('gives the app the settings it reads, with secrets as Key Vault references', () => {
    const common = objectVar('commonSettings');
    expect(Object.keys(common)).toEqual(
      expect.arrayContaining(['AzureWebJobsStorage__accountName', 'APPLICATIONINSIGHTS_CONNECTION_STRING', 'KEY_VAULT_URL', 'FUNCTIONS_EXTENSION_VERSION']),
    );
    expect(objectVar('datadogSettings').DD_API_KEY).toBe("'${keyVaultReference}dd-api-key)'");
    expect(bicep).toContain("var keyVaultReference = '@Microsoft.KeyVault(VaultName=${vault.name};SecretName='");
    // Every PULSECHECK_* setting is one the app reads or one the shipped jobs file references.
    const known = `${readFileSync('src/config/settings.ts', 'utf8')}${readFileSync('jobs.config.json', 'utf8')}`;
    for (const name of Object.keys(common).filter((n) => n.startsWith('PULSECHECK_'))) expect(known, name).toContain(name);
  });

  it('runs Key Vault in RBAC mode and grants both slot identities the roles they use', () => {
    expect(bicep).toContain('enableRbacAuthorization: true');
    expect(bicep).toMatch(/identity: \{\n\s+type: 'SystemAssigned'/);
    for (const role of ['keyVaultSecretsUser', 'acrPull']) {
      expect(bicep).toMatch(new RegExp(`for slot in slotNames: \\{\\n\\s+name: guid\\(\\w+\\.id, roles\\.${role}, slot\\)`));
    }
    expect(bicep).toContain('acrUseManagedIdentityCreds: true');
  });

  it('grants every app identity Storage Queue Data Contributor where its queue is, for queue dispatch', () => {
    // The built-in role's ID (https://learn.microsoft.com/azure/role-based-access-control/built-in-roles).
    const queueRole = "storageQueueDataContributor: '974c5e8b-45b9-4653-ba55-5f855dd0fb88'";
    expect(bicep).toContain(queueRole);
    // Both slots, on the account of AzureWebJobsStorage__accountName (where pulsecheck-checks is).
    expect(/^var storageRoles = \[\n([\s\S]*?)\n\]/m.exec(bicep)?.[1]).toContain('roles.storageQueueDataContributor');
    expect(bicep).toContain('var storageAssignments = flatten(map(slotNames, slot => map(storageRoles, role => {');
    expect(bicep).toMatch(/for assignment in storageAssignments: \{\n\s+name: guid\(storage\.id, assignment\.role, assignment\.slot\)\n\s+scope: storage\n/);
    expect(objectVar('commonSettings').AzureWebJobsStorage__accountName).toBe('storage.name');
    // Each regional app, on its own host storage (its own queue).
    const region = readFileSync('infra/region.bicep', 'utf8');
    expect(region).toContain(queueRole);
    expect(/^var hostStorageRoles = \[\n([\s\S]*?)\n\]/m.exec(region)?.[1]).toContain('roles.storageQueueDataContributor');
    expect(region).toMatch(/for role in hostStorageRoles: \{\n\s+name: guid\(hostStorage\.id, role, regionalName\)\n\s+scope: hostStorage\n/);
    expect(region).toContain('AzureWebJobsStorage__accountName: hostStorage.name');
  });

  it('sets PULSECHECK_DISPATCH from the dispatch parameter, with the values the app accepts', () => {
    expect(bicep).toMatch(/@allowed\(\[\n\s+'inline'\n\s+'queue'\n\]\)\nparam dispatch string = 'inline'/);
    expect(objectVar('commonSettings').PULSECHECK_DISPATCH).toBe('dispatch');
    expect(readFileSync('src/config/settings.ts', 'utf8')).toContain("PULSECHECK_DISPATCH: text('inline').pipe(z.enum(['inline', 'queue']");
  });

  it('names the resources and outputs the Jenkinsfile and the deployment guide use', () => {
    for (const output of ['functionAppName', 'registryName', 'stagingUrl', 'productionUrl', 'keyVaultName']) {
      expect(bicep).toMatch(new RegExp(`^output ${output} string`, 'm'));
    }
    for (const step of ['az functionapp config container set $app', '--slot staging --target-slot production', 'node scripts/smoke.js']) {
      expect(jenkinsfile).toContain(step);
    }
    expect(bicep).toContain("healthCheckPath: '/api/health'");
    expect(bicep).toContain("metricName: 'availabilityResults/availabilityPercentage'");
  });

  it('turns App Service Authentication on for both slots when an app registration is given', () => {
    expect(declared.get('authClientId')).toEqual({ type: 'string', optional: true });
    expect(bicep).toContain("param authClientId string = ''");
    for (const [resource, parent] of [['appAuth', 'app'], ['stagingAuth', 'staging']]) {
      expect(bicep).toMatch(new RegExp(`resource ${resource} 'Microsoft\\.Web/sites/(slots/)?config@[\\d-]+' = if \\(!empty\\(authClientId\\)\\) \\{\\n\\s+parent: ${parent}\\n\\s+name: 'authsettingsV2'\\n\\s+properties: authSettings`));
    }
    expect(bicep).toMatch(/requireAuthentication: true\n\s+unauthenticatedClientAction: 'Return401'/);
    expect(bicep).toMatch(/clientId: authClientId\n\s+openIdIssuer: '\$\{environment\(\)\.authentication\.loginEndpoint\}\$\{authTenantId\}\/v2\.0'/);
    expect(bicep).toMatch(/allowedAudiences: \[\n\s+'api:\/\/\$\{authClientId\}'\n\s+authClientId\n/);
    // Each region's app (infra/region.bicep) gets the same settings, so its API is guarded alike.
    expect(bicep).toMatch(/module regionApps 'region\.bicep' = \[[\s\S]*?\n\s+authSettings: empty\(authClientId\) \? \{\} : authSettings\n/);
    const region = readFileSync('infra/region.bicep', 'utf8');
    expect(region).toContain('param authSettings object = {}');
    expect(region).toMatch(/resource appAuth 'Microsoft\.Web\/sites\/config@[\d-]+' = if \(!empty\(authSettings\)\) \{\n\s+parent: app\n\s+name: 'authsettingsV2'\n\s+properties: authSettings/);
    // WEBSITE_AUTH_ENABLED is the platform's to set: as an app setting without authentication on,
    // the app would trust principal headers that nobody vouched for.
    expect(bicep).not.toMatch(/WEBSITE_AUTH_ENABLED:/);
  });

  /** The strings of `var name = [ … ]`. */
  const arrayVar = (name: string): string[] =>
    [...(new RegExp(`^var ${name} = \\[\\n([\\s\\S]*?)\\n\\]`, 'm').exec(bicep)?.[1] ?? '').matchAll(/'([^']+)'/g)].map((m) => m[1] as string);
  /** Whether an excludedPaths entry covers a request path: exactly, or below a trailing `/*`. */
  const covers = (pattern: string, path: string): boolean => (pattern.endsWith('/*') ? path.startsWith(pattern.slice(0, -1)) : path === pattern);
  /** A request path of a route: its `{params}` filled in. */
  const pathOf = (fn: HttpFunction): string => `/api/${fn.route.replace(/\{[^}]+\}/g, 'x')}`;
  const http = registry.filter((fn): fn is HttpFunction => fn.trigger === 'http');

  it('lets through unauthenticated exactly the routes the app guards itself', () => {
    const excluded = arrayVar('selfGuardedPaths');
    const selfGuarded = http.filter((fn) => fn.role === 'anonymous' || fn.metricsToken).map((fn) => `/api/${fn.route}`);
    expect(excluded.sort()).toEqual(selfGuarded.sort());
    expect(excluded).toContain('/api/health');
    expect(bicep).toContain("healthCheckPath: '/api/health'");
  });

  it('with statusPage public, also lets through the status page, its data, its files and the badges, and nothing else', () => {
    expect(declared.get('statusPage')).toEqual({ type: 'string', optional: true });
    expect(bicep).toMatch(/@allowed\(\[\n\s+'private'\n\s+'public'\n\s+'off'\n\]\)\nparam statusPage string = 'private'/);
    expect(bicep).toMatch(/excludedPaths: statusPage == 'public' \? concat\(selfGuardedPaths, statusPagePaths\) : selfGuardedPaths\n/);
    const statusPaths = arrayVar('statusPagePaths');
    // Every status-page route (the ones PULSECHECK_STATUS_PAGE=public makes anonymous) is covered…
    for (const fn of http.filter((f) => f.statusPage)) expect(statusPaths.some((p) => covers(p, pathOf(fn))), fn.route).toBe(true);
    // …and no other route: a public page must not open the API.
    for (const fn of http.filter((f) => !f.statusPage && f.role !== 'anonymous' && !f.metricsToken)) {
      expect(statusPaths.filter((p) => covers(p, pathOf(fn))), fn.route).toEqual([]);
    }
    // The app reads the same choice: the parameter sets PULSECHECK_STATUS_PAGE, after extraSettings so it wins.
    expect(bicep).toMatch(/extraSettings,\n\s+\{\n\s+PULSECHECK_STATUS_PAGE: statusPage\n\s+\}\n\)/);
  });

  it('ships the app roles the app maps, for the app registration (infra/app-roles.json)', () => {
    const roles = JSON.parse(readFileSync('infra/app-roles.json', 'utf8')) as Array<{ value: string; id: string; isEnabled: boolean; allowedMemberTypes: string[] }>;
    expect(roles.map((r) => r.value).sort()).toEqual(Object.keys(APP_ROLES).sort());
    expect(new Set(roles.map((r) => r.id)).size).toBe(roles.length);
    for (const role of roles) {
      expect(role.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
      expect(role).toMatchObject({ isEnabled: true, allowedMemberTypes: expect.arrayContaining(['User', 'Application']) });
    }
  });
});
