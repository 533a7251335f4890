import { join } from 'node:path';
import type { TokenCredential } from '@azure/identity';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { buildDeps, type Deps } from '../../../src/composition.js';
import { loadSettings } from '../../../src/config/settings.js';
import { MemoryLogger } from '../../support/fakes.js';
import { appFolder } from '../../support/host.js';
import { ALLOW_LOOPBACK } from '../../support/network.js';
import { startServer, type TestServer } from '../../support/servers.js';

/** Secrets from settings, as in local development (no KEY_VAULT_URL). */
describe('secrets from settings (local development)', () => {
  let target: TestServer;
  let deps: Deps | undefined;
  let credentials: string[];
  const token = 'fake-entra-token-for-the-api';
  /** Counts every credential the app asks for; never reaches any network. */
  const credentialFactory = (clientId: string | undefined): TokenCredential => {
    credentials.push(clientId ?? 'default');
    return { getToken: async () => ({ token, expiresOnTimestamp: Date.now() + 3_600_000 }) };
  };
  const build = (jobs: unknown[], values: Record<string, string>) => {
    const dir = appFolder({ jobs });
    const env = { ...ALLOW_LOOPBACK, ...values, PULSECHECK_JOBS_FILE: join(dir, 'jobs.config.json') };
    const logger = new MemoryLogger();
    deps = buildDeps(loadSettings(env), { env, logger, credentialFactory });
    return { app: deps.useCases, logger };
  };

  beforeAll(async () => {
    target = await startServer((req, res) => {
      const ok = req.headers.authorization === 'Bearer local-dev-token' || req.headers.authorization === `Bearer ${token}`;
      res.writeHead(ok ? 200 : 401).end();
    });
    credentials = [];
  });
  afterEach(async () => {
    await deps?.close();
    deps = undefined;
  });
  afterAll(async () => {
    await target.close();
  });

  it('resolves auth.secret from PULSECHECK_SECRET_<NAME>, and creates no Azure credential', async () => {
    const { app } = build([{ name: 'local', url: target.url, auth: { type: 'bearer', secret: 'api-token' } }], {
      PULSECHECK_SECRET_API_TOKEN: 'local-dev-token',
    });
    expect(await app.manualRuns.runNow('local')).toMatchObject({ status: 'up', httpStatus: 200 });
    expect(credentials).toEqual([]);
    expect((await app.health.report()).checks.secrets).toMatchObject({ status: 'ok', store: 'settings (PULSECHECK_SECRET_*)' });
  });

  it('creates a credential only when a managed-identity job first runs, one per client ID', async () => {
    const { app } = build(
      [
        { name: 'mi', url: target.url, auth: { type: 'managedIdentity', scope: 'api://my-api/.default' } },
        { name: 'uai', url: target.url, auth: { type: 'managedIdentity', scope: 'api://my-api/.default', clientId: 'uai-1' } },
      ],
      {},
    );
    expect(credentials).toEqual([]);
    expect(await app.manualRuns.runNow('mi')).toMatchObject({ status: 'up' });
    expect(await app.manualRuns.runNow('mi')).toMatchObject({ status: 'up' });
    expect(await app.manualRuns.runNow('uai')).toMatchObject({ status: 'up' });
    expect(credentials).toEqual(['default', 'uai-1']);
  });

  it('never uses a setting that is an unresolved App Service Key Vault reference, and says so at start and in health', async () => {
    const { app, logger } = build([{ name: 'local', url: target.url, auth: { type: 'bearer', secret: 'api-token' } }], {
      PULSECHECK_SECRET_API_TOKEN: '@Microsoft.KeyVault(SecretUri=https://v.vault.azure.net/secrets/api-token/)',
    });
    expect(logger.records).toContainEqual(
      expect.objectContaining({ level: 'warn', message: expect.stringContaining('settings PULSECHECK_SECRET_API_TOKEN hold Key Vault references the platform could not resolve') }),
    );
    const run = await app.manualRuns.runNow('local');
    expect(run).toMatchObject({ status: 'error', attempts: 0, error: { kind: 'secret-unavailable' } });
    expect(run.error?.message).toContain('secret "api-token" is unavailable: setting PULSECHECK_SECRET_API_TOKEN holds a Key Vault reference');
    expect(target.requests.some((r) => r.headers.authorization?.includes('Microsoft.KeyVault'))).toBe(false);
    expect((await app.health.report()).checks.secrets).toMatchObject({ status: 'degraded' });
  });
});
