import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { registry } from '../../../src/functions/registry.js';

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
});
