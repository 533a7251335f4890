import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { Run } from '../../src/domain/run.js';
import { appFolder, runCli, type RunningCli } from '../support/host.js';
import { AUTH_JOBS, startSecretsWorld, type SecretsWorld } from '../support/secretsWorld.js';

/**
 * As a user runs it: `pulsecheck start`, `run` and `validate --secrets` in child processes whose
 * environment is what App Service gives a Function app with a managed identity (IDENTITY_ENDPOINT,
 * IDENTITY_HEADER) plus KEY_VAULT_URL, against the local vault, identity endpoint and target. Every
 * byte they print or answer is kept and searched for secret values at the end.
 */
describe('secrets end to end (the built CLI)', () => {
  let world: SecretsWorld;
  let dir: string;
  let env: Record<string, string>;
  let host: RunningCli;
  let api: string;
  /** Everything any process printed and every API response body. */
  const seen: string[] = [];
  const call = async (path: string, method = 'GET') => {
    const response = await fetch(`${api}${path}`, { method });
    const text = await response.text();
    seen.push(text);
    return { status: response.status, body: JSON.parse(text) as unknown };
  };
  const cli = async (args: string[]) => {
    const child = runCli(args, dir, env);
    const code = await child.exited;
    seen.push(child.output(), child.errors());
    return { code, stdout: child.output(), stderr: child.errors() };
  };

  beforeAll(async () => {
    const tls = inject('trustedTls');
    world = await startSecretsWorld(tls);
    dir = appFolder(world.jobs, { PULSECHECK_PORT: '0', PULSECHECK_LOG_FORMAT: 'json' });
    env = { ...world.settings, NODE_EXTRA_CA_CERTS: tls.caFile };
    host = runCli(['start'], dir, env);
    api = (await host.waitFor(/listening on (http:\/\/127\.0\.0\.1:\d+\/api)/))[1] as string;
  });
  afterAll(async () => {
    if (host && host.child.exitCode === null) host.child.kill('SIGKILL');
    await world?.close();
  });

  it.each(AUTH_JOBS)('POST /api/jobs/%s/run: up, with the secret from Key Vault', async (name) => {
    const { status, body } = await call(`/jobs/${name}/run`, 'POST');
    expect(status).toBe(200);
    expect(body).toMatchObject({ job: name, status: 'up', httpStatus: 200 });
  });

  it('runs the failure paths: an echoing target, a refusing token endpoint, a missing secret', async () => {
    const runs = await Promise.all(['echo', 'wrongClientSecret', 'notInVault', 'mtlsWithoutCertificate'].map((n) => call(`/jobs/${n}/run`, 'POST')));
    expect(runs.map((r) => (r.body as Run).status)).toEqual(['down', 'error', 'error', 'down']);
    expect((runs[2]?.body as Run).error).toMatchObject({ kind: 'secret-unavailable', message: expect.stringContaining('secret "not-in-vault"') });
  });

  it('shows jobs with references and health with the secret store', async () => {
    const { body } = await call('/jobs');
    const jobs = (body as { jobs: Array<{ name: string; auth: unknown; url: string }> }).jobs;
    expect(jobs.find((j) => j.name === 'basic')?.auth).toEqual({ type: 'basic', username: 'svc', secret: 'svc-password' });
    expect(jobs.find((j) => j.name === 'references')?.url).toContain('/refs?key=${secret:api-key}');
    for (const job of jobs) await call(`/jobs/${job.name}`);
    const health = await call('/health');
    expect(health.body).toMatchObject({ checks: { secrets: { status: 'degraded', store: `Key Vault ${world.vault.url}`, detail: expect.stringContaining('"not-in-vault": not found') } } });
  });

  it('pulsecheck run prints the run, secrets resolved in its own process', async () => {
    const { code, stdout } = await cli(['run', 'managedIdentity']);
    expect(code).toBe(0);
    expect(JSON.parse(stdout)).toMatchObject({ job: 'managedIdentity', status: 'up' });
  });

  it('pulsecheck validate --secrets reads every referenced secret and fails on the missing one', async () => {
    const { code, stdout, stderr } = await cli(['validate', '--secrets']);
    expect(code).toBe(1);
    expect(stdout).toContain(`Secrets from Key Vault ${world.vault.url}:`);
    expect(stdout).toContain('✔ secret "svc-password" resolves (used by basic, references)');
    expect(stdout).toContain('✔ secret "client-cert" resolves (used by clientCertificate)');
    expect(stdout).toMatch(/✘ secret "not-in-vault": not found in Key Vault https:\/\/127\.0\.0\.1:\d+ \(SecretNotFound\) \(used by notInVault\)/);
    expect(stderr).toContain('1 of 7 secrets do not resolve');
  });

  it('stops, and nothing it printed or answered holds a secret value, a derived value or a token', async () => {
    host.child.kill('SIGTERM');
    expect(await host.exited).toBe(0);
    seen.push(host.output(), host.errors());
    const everything = seen.join('\n');
    expect(everything).toContain('"event":"run"');
    for (const value of world.forbidden()) {
      if (everything.includes(value) || everything.includes(JSON.stringify(value).slice(1, -1))) {
        throw new Error(`a secret leaked: ${value.slice(0, 12)}…`);
      }
    }
  });
});
