import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { buildDeps, type Deps } from '../../../src/composition.js';
import { loadSettings } from '../../../src/config/settings.js';
import { MemoryLogger } from '../../support/fakes.js';
import { appFolder } from '../../support/host.js';
import { startSecretsWorld, type SecretsWorld } from '../../support/secretsWorld.js';

/**
 * The app's own platform calls (the managed identity endpoint, Key Vault) are not targets: with the
 * guard refusing loopback, they still reach their loopback fakes, and only the job's target (and
 * the job's token endpoint) is refused.
 */
describe('the target guard leaves platform calls alone', () => {
  let world: SecretsWorld;
  let deps: Deps;

  beforeAll(async () => {
    world = await startSecretsWorld(inject('trustedTls'));
    // @azure/identity reads the managed identity endpoint from the process environment, as in Azure.
    Object.assign(process.env, world.identity.env);
    const dir = appFolder(world.jobs);
    const env = { ...world.settings, PULSECHECK_ALLOWED_NETWORKS: '', PULSECHECK_JOBS_FILE: join(dir, 'jobs.config.json') };
    deps = buildDeps(loadSettings(env), { env, logger: new MemoryLogger() });
  });
  afterAll(async () => {
    await deps?.close();
    await world?.close();
  });

  it('gets the managed identity token from the loopback identity endpoint, then refuses the loopback target', async () => {
    const calls = world.identity.calls.length;
    const run = await deps.useCases.manualRuns.runNow('managedIdentity');
    expect(run).toMatchObject({ status: 'error', attempts: 1, error: { kind: 'blocked-target', message: expect.stringContaining('127.0.0.1 is loopback') } });
    expect(world.identity.calls.length).toBeGreaterThan(calls);
  });

  it('reads the secret from the loopback Key Vault, then refuses the loopback target', async () => {
    const run = await deps.useCases.manualRuns.runNow('bearer');
    expect(run).toMatchObject({ status: 'error', error: { kind: 'blocked-target' } });
    expect(world.vault.reads.some((read) => read.name === 'api-token')).toBe(true);
  });

  it('refuses a loopback OAuth2 token endpoint: the client secret is never sent', async () => {
    const run = await deps.useCases.manualRuns.runNow('oauth2');
    expect(run).toMatchObject({ status: 'error', attempts: 0, error: { kind: 'blocked-target' } });
    expect(run.error?.message).toMatch(/^the OAuth2 token from http:\/\/127\.0\.0\.1:\d+\/token is unavailable: 127\.0\.0\.1 is loopback, which PULSECHECK_ALLOWED_NETWORKS does not allow$/);
    expect(world.target.tokenRequests).toBe(0);
  });
});
