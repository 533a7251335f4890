import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createLogger } from '../../../src/adapters/log-telemetry/logger.js';
import { LogTelemetry } from '../../../src/adapters/log-telemetry/logTelemetry.js';
import { MemoryStore } from '../../../src/adapters/memory-store/memoryStore.js';
import type { Telemetry } from '../../../src/app/ports/index.js';
import { buildDeps, type Deps } from '../../../src/composition.js';
import { loadSettings } from '../../../src/config/settings.js';
import type { Run } from '../../../src/domain/run.js';
import type { JobView } from '../../../src/app/views.js';
import { FakeClock, RecordingTelemetry } from '../../support/fakes.js';
import { appFolder } from '../../support/host.js';
import { AUTH_JOBS, startSecretsWorld, type SecretsWorld } from '../../support/secretsWorld.js';

const MINUTE = 60_000;

/**
 * The app as composed for production (Key Vault adapter, managed identity credential, OAuth2
 * client, undici prober), in process, against the local vault, identity endpoint and target. The
 * clock is fake so that TTLs pass without waiting; telemetry is recorded and logs are captured, so
 * the last test can look for leaks in every channel.
 */
describe('secrets and auth, end to end in process', () => {
  let world: SecretsWorld;
  let deps: Deps;
  let clock: FakeClock;
  const store = new MemoryStore();
  const recording = new RecordingTelemetry();
  const logs: string[] = [];
  const runs: Run[] = [];
  const run = async (name: string) => {
    const result = await deps.useCases.manualRuns.runNow(name);
    runs.push(result);
    return result;
  };
  const reads = (name: string) => world.vault.reads.filter((r) => r.name === name).length;

  beforeAll(async () => {
    world = await startSecretsWorld(inject('trustedTls'));
    // @azure/identity reads the managed identity endpoint from the process environment, as in Azure.
    Object.assign(process.env, world.identity.env);
    const dir = appFolder(world.jobs);
    const env = { ...world.settings, PULSECHECK_JOBS_FILE: join(dir, 'jobs.config.json') };
    const logger = createLogger({
      level: 'trace',
      format: 'json',
      stream: new Writable({ write: (chunk: Buffer, _e, done) => done(void logs.push(chunk.toString())) }),
    });
    const log = new LogTelemetry(logger);
    const telemetry: Telemetry = {
      runCompleted: (r, job) => (recording.runCompleted(r, job), log.runCompleted(r, job)),
      healthChanged: (effect) => (recording.healthChanged(effect), log.healthChanged(effect)),
      circuitChanged: (job, state) => (recording.circuitChanged(job, state), log.circuitChanged(job, state)),
      flush: async () => undefined,
    };
    clock = new FakeClock(Date.now());
    deps = buildDeps(loadSettings(env), { env, logger, telemetry, clock, store });
  });
  afterAll(async () => {
    await deps?.close();
    await world?.close();
  });

  it.each(AUTH_JOBS)('%s: the target accepts the credential resolved from Key Vault', async (name) => {
    const result = await run(name);
    expect(result).toMatchObject({ status: 'up', httpStatus: 200, attempts: 1 });
  });

  it('reads each secret from Key Vault once within the TTL, and again after it', async () => {
    const before = reads('api-token');
    await run('bearer');
    expect(reads('api-token')).toBe(before);
    await clock.advance(5 * MINUTE);
    await run('bearer');
    expect(reads('api-token')).toBe(before + 1);
  });

  it('keeps the OAuth2 token until shortly before it expires', async () => {
    const before = world.target.tokenRequests;
    await run('oauth2');
    expect(world.target.tokenRequests).toBe(before);
    await clock.advance(54 * MINUTE + 1); // 90% of its hour
    await run('oauth2');
    expect(world.target.tokenRequests).toBe(before + 1);
  });

  it('picks up a rotated secret after a 401: reads it again and retries once', async () => {
    await run('bearer'); // the current value is cached
    const before = reads('api-token');
    const rotated = `${world.target.expected.bearer}-rotated`;
    world.vault.set('api-token', rotated);
    world.target.expected.bearer = rotated;
    const result = await run('bearer');
    expect(result).toMatchObject({ status: 'up', httpStatus: 200, attempts: 2 });
    expect(reads('api-token')).toBe(before + 1);
    const requests = world.target.http.requests.filter((r) => r.path === '/bearer').slice(-2);
    expect(requests.map((r) => String(r.headers['x-pulsecheck-run']).split('#')[1])).toEqual(['1', '2']);
  });

  it('does not retry a 401 when the secrets read again are unchanged', async () => {
    const good = world.target.expected.bearer;
    world.target.expected.bearer = 'something-else-entirely';
    const before = reads('api-token');
    try {
      const result = await run('bearer');
      expect(result).toMatchObject({ status: 'down', httpStatus: 401, attempts: 1 });
      expect(reads('api-token')).toBe(before + 1);
    } finally {
      world.target.expected.bearer = good;
    }
  });

  it('refetches a revoked OAuth2 token after a 401', async () => {
    world.target.oauthTokens.clear();
    const before = world.target.tokenRequests;
    const result = await run('oauth2');
    expect(result).toMatchObject({ status: 'up', attempts: 2 });
    expect(world.target.tokenRequests).toBe(before + 1);
  });

  it('really checks the client certificate: without one the target refuses', async () => {
    expect(await run('mtlsWithoutCertificate')).toMatchObject({ status: 'down', httpStatus: 401 });
  });

  it('reports a secret Key Vault does not have as secret-unavailable, without calling the target', async () => {
    const calls = world.target.http.requests.length;
    const result = await run('notInVault');
    expect(result).toMatchObject({ status: 'error', success: false, attempts: 0, httpStatus: null, conditions: [] });
    expect(result.error).toEqual({
      kind: 'secret-unavailable',
      message: expect.stringMatching(/^secret "not-in-vault" is unavailable: not found in Key Vault https:\/\/127\.0\.0\.1:\d+ \(SecretNotFound\)$/),
    });
    expect(world.target.http.requests.length).toBe(calls);
  });

  it('reports a token endpoint that refuses, masking the secret it echoes', async () => {
    const result = await run('wrongClientSecret');
    expect(result).toMatchObject({ status: 'error', error: { kind: 'secret-unavailable' } });
    expect(result.error?.message).toMatch(/^the OAuth2 token from http:\/\/127\.0\.0\.1:\d+\/token is unavailable: the token endpoint answered 401 \(invalid_client: client_secret \*\*\* is not valid for pulsecheck-client\)$/);
  });

  it('masks a credential the target echoes in its body and headers', async () => {
    const result = await run('echo');
    expect(result.status).toBe('down');
    expect(result.conditions.map((c) => c.actual)).toEqual(['{"youSent":"Bearer ***","query":""}', 'Bearer ***', 'Bearer ***', '***']);
  });

  it('uses the cached value while Key Vault is down and says so in health; a secret never read is unavailable', async () => {
    world.vault.mode = 'down';
    try {
      await clock.advance(6 * MINUTE);
      expect(await run('bearer')).toMatchObject({ status: 'up' });
      const health = await deps.useCases.health.report();
      expect(health.status).toBe('degraded');
      expect(health.checks.secrets).toMatchObject({
        status: 'degraded',
        detail: expect.stringContaining('"api-token": Key Vault'),
        store: `Key Vault ${world.vault.url}`,
      });
      expect(health.checks.secrets?.detail).toContain('answered 503 (ServiceUnavailable) (using the last good value)');
      const never = await run('notInVault');
      expect(never.error).toMatchObject({ kind: 'secret-unavailable', message: expect.stringContaining('secret "not-in-vault" is unavailable: Key Vault') });
    } finally {
      world.vault.mode = 'up';
    }
    await clock.advance(6 * MINUTE);
    await run('bearer');
    expect((await deps.useCases.health.report()).checks.secrets?.detail).not.toContain('api-token');
  });

  it('shows jobs with their secret references, never values', async () => {
    const { jobs } = JSON.parse(await deps.useCases.jobViews.listJson()) as { jobs: JobView[] };
    expect(jobs.find((j) => j.name === 'references')).toMatchObject({
      url: `${world.target.http.url}/refs?key=\${secret:api-key}`,
      headers: { 'X-Token': 'Token ${secret:api-token}' },
    });
    expect(jobs.find((j) => j.name === 'oauth2')?.auth).toMatchObject({ type: 'oauth2ClientCredentials', secret: 'client-secret' });
  });

  it('leaks no secret value, derived value or token into run records, logs, telemetry, API views or health', async () => {
    const everything = JSON.stringify({
      runs,
      stored: await Promise.all(world.jobs.jobs.map((j) => store.listRuns(String(j.name), { limit: 100 }))),
      states: await Promise.all(world.jobs.jobs.map((j) => store.loadState(String(j.name)))),
      telemetry: { runs: recording.runs, health: recording.health, circuits: recording.circuits },
      jobs: JSON.parse(await deps.useCases.jobViews.listJson()) as unknown,
      job: await Promise.all(world.jobs.jobs.map((j) => deps.useCases.jobViews.get(String(j.name)))),
      health: await deps.useCases.health.report(),
      logs,
    });
    expect(recording.runs.length).toBeGreaterThanOrEqual(AUTH_JOBS.length + 10);
    expect(logs.join('')).toContain('"event":"run"');
    for (const value of world.forbidden()) {
      expect(value.length).toBeGreaterThanOrEqual(8);
      if (everything.includes(value) || everything.includes(JSON.stringify(value).slice(1, -1))) {
        throw new Error(`a secret leaked: ${value.slice(0, 12)}…`);
      }
    }
  });
});
