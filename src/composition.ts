import { createRequire } from 'node:module';
import { isAbsolute, resolve } from 'node:path';
import { bulkhead } from 'cockatiel';
import type { TokenCredential } from '@azure/identity';
import { AzureIdentity, createCredential } from './adapters/azure-identity/azureIdentity.js';
import { EnvSecretStore } from './adapters/env-secrets/envSecretStore.js';
import { KeyVaultSecretStore } from './adapters/key-vault/keyVaultSecretStore.js';
import { UndiciOAuth2Client } from './adapters/oauth2-client/oauth2Client.js';
import { FileJobCatalog } from './adapters/file-catalog/fileCatalog.js';
import { LogTelemetry } from './adapters/log-telemetry/logTelemetry.js';
import { createLogger } from './adapters/log-telemetry/logger.js';
import { MemoryStore } from './adapters/memory-store/memoryStore.js';
import { SystemClock } from './adapters/system-clock/systemClock.js';
import { UndiciProber } from './adapters/undici-prober/prober.js';
import { CheckRunner } from './app/checkRunner.js';
import { Dispatcher } from './app/dispatcher.js';
import type { Clock, JobCatalog, Logger, ManagedIdentityTokens, OAuth2Client, Prober, SecretStore, StateStore, Telemetry } from './app/ports/index.js';
import { Pulsecheck } from './app/pulsecheck.js';
import { RequestAuthorizer } from './app/requestAuth.js';
import { SecretResolver } from './app/secrets.js';
import { parseJobsFile } from './config/jobsFile.js';
import type { Settings } from './config/settings.js';
import type { Env } from './config/substitute.js';
import { compileCron, nextOccurrence } from './domain/schedule.js';

/** Replaceable parts: tests inject fakes here instead of mocking modules. */
export interface Overrides {
  readonly prober?: Prober;
  readonly clock?: Clock;
  readonly store?: StateStore;
  readonly telemetry?: Telemetry;
  readonly logger?: Logger;
  readonly catalog?: JobCatalog;
  // --- secrets (issue 3) ---
  readonly secretStore?: SecretStore;
  readonly oauth2?: OAuth2Client;
  readonly managedIdentity?: ManagedIdentityTokens;
  /** Builds the Azure credential for a client ID (`undefined`: the app's own). Default: `createCredential`. */
  readonly credentialFactory?: (clientId: string | undefined) => TokenCredential | Promise<TokenCredential>;
}

export interface BuildOptions extends Overrides {
  /** Variables for `${env:NAME}` in the jobs file. Default `process.env`. */
  readonly env?: Env;
  /** Directory a relative `PULSECHECK_JOBS_FILE` is resolved against. Default the working directory. */
  readonly baseDir?: string;
  /** Log format when no logger is given and `PULSECHECK_LOG_FORMAT` is unset. Default `json`. */
  readonly logFormat?: 'json' | 'pretty';
  /** File descriptor the logger writes to when no logger is given. Default 1 (stdout). */
  readonly logFd?: number;
}

export interface Deps {
  readonly app: Pulsecheck;
  readonly settings: Settings;
  readonly logger: Logger;
  /** Closes pooled connections; call after the last check. */
  close(): Promise<void>;
}

export const VERSION: string = (createRequire(import.meta.url)('../package.json') as { version: string }).version;

/**
 * The composition root: the one place that builds adapters from settings and wires the use cases.
 * Synchronous, so a bad jobs file throws while the host loads the app.
 */
export function buildDeps(settings: Settings, options: BuildOptions = {}): Deps {
  const env = options.env ?? process.env;
  const logger =
    options.logger ??
    createLogger({
      level: settings.logLevel,
      format: settings.logFormat ?? options.logFormat ?? 'json',
      fd: options.logFd ?? 1,
    });
  const path = isAbsolute(settings.jobsFile) ? settings.jobsFile : resolve(options.baseDir ?? process.cwd(), settings.jobsFile);
  const catalog = options.catalog ?? new FileJobCatalog(path, (text) => parseJobsFile(text, env, settings.jobsFile));
  const prober =
    options.prober ?? new UndiciProber({ connectionsPerOrigin: settings.maxConnectionsPerOrigin });
  const clock = options.clock ?? new SystemClock();
  const store = options.store ?? new MemoryStore();
  const telemetry = options.telemetry ?? new LogTelemetry(logger);
  // --- secrets (issue 3): credentials are created on first use only ---
  const identity = new AzureIdentity(
    options.credentialFactory ?? ((clientId) => createCredential({ inAzure: settings.azure.inAzure, clientId: clientId ?? settings.azure.clientId })),
  );
  const secretStore =
    options.secretStore ??
    (settings.keyVault ? new KeyVaultSecretStore({ ...settings.keyVault, credential: () => identity.credential() }) : new EnvSecretStore(env));
  const secrets = new SecretResolver(secretStore, clock, {
    ttlMs: settings.secretTtlMs,
    unresolvedSettings: settings.unresolvedKeyVaultReferences,
  });
  const oauth2 = options.oauth2 ?? new UndiciOAuth2Client();
  const authorizer = new RequestAuthorizer({ clock, secrets, oauth2, managedIdentity: options.managedIdentity ?? identity });
  if (settings.unresolvedKeyVaultReferences.length > 0) {
    logger.warn(
      { event: 'unresolved-key-vault-references', settings: settings.unresolvedKeyVaultReferences },
      `settings ${settings.unresolvedKeyVaultReferences.join(', ')} hold Key Vault references the platform could not resolve; their values are not used`,
    );
  }
  // --- end secrets ---
  const runner = new CheckRunner({
    prober,
    clock,
    store,
    telemetry,
    logger,
    bulkhead: bulkhead(settings.maxConcurrency, settings.maxConcurrency * 64),
    location: settings.location,
    authorizer,
  });
  const tickSchedule = compileCron(settings.tickSchedule, 'UTC');
  if (typeof tickSchedule === 'string') throw new Error(`PULSECHECK_TICK_SCHEDULE ${tickSchedule}`);
  const firstTick = nextOccurrence(tickSchedule, 0) ?? 0;
  const dispatcher = new Dispatcher({ catalog, store, clock, runner, logger, tickSchedule });
  const app = new Pulsecheck({
    catalog,
    store,
    clock,
    runner,
    dispatcher,
    telemetry,
    version: VERSION,
    tickIntervalMs: (nextOccurrence(tickSchedule, firstTick) ?? firstTick + 10_000) - firstTick,
    contributors: [{ name: 'storage', health: () => ({ status: 'ok', detail: `${store.kind}: history is lost on restart` }) }, secrets],
    secrets,
  });
  return { app, settings, logger, close: async () => void (await Promise.all([prober.close(), oauth2.close()])) };
}
