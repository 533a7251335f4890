import { isAbsolute, resolve } from 'node:path';
import type { TokenCredential } from '@azure/core-auth';
import type { AzureIdentity } from './adapters/azure-identity/azureIdentity.js';
import { BlobJobCatalog } from './adapters/blob-catalog/blobCatalog.js';
import { FileJobCatalog } from './adapters/file-catalog/fileCatalog.js';
import { MemoryStore } from './adapters/memory-store/memoryStore.js';
import { TableStore } from './adapters/table-store/tableStore.js';
import type { CompileJob } from './app/catalog.js';
import type { ConfigJobSource, Logger, StateStore } from './app/ports/index.js';
import { compileJob } from './config/compileJob.js';
import { parseJobsConfig } from './config/jobsFile.js';
import type { JobInput } from './config/jobsSchema.js';
import type { Settings } from './config/settings.js';
import type { Env } from './config/substitute.js';
import { targetIssues } from './config/targetIssues.js';
import type { Channel } from './domain/alerting/channel.js';
import type { NetworkPolicy } from './domain/network.js';

/**
 * The composition root's storage half (issue 4): which store, which jobs-file source, and how API
 * jobs are compiled. Kept apart from composition.ts so that file stays a short wiring list.
 */

/**
 * Table Storage when `AzureWebJobsStorage` is a connection string or an identity-based account is
 * configured; otherwise the memory store (history and API jobs are then lost on restart, and
 * `/api/health` says so). The identity-based connection uses the app's credential (main's
 * AzureIdentity: managed identity in Azure), created on first use.
 */
export function storeFor(settings: Settings, logger: Logger, identity: AzureIdentity): StateStore {
  const common = { logger, tablePrefix: settings.tablePrefix };
  if (settings.storageConnection) return new TableStore({ ...common, connection: { connectionString: settings.storageConnection } });
  if (settings.storageIdentity) {
    const endpoint = settings.storageIdentity.tableServiceUri;
    return new TableStore({ ...common, connection: { endpoint, credential: lazyCredential(identity, settings.storageIdentity.clientId) } });
  }
  return new MemoryStore();
}

/** A credential that asks `identity` for the real one when the SDK first needs a token. */
export const lazyCredential = (identity: AzureIdentity, clientId: string | undefined): TokenCredential => ({
  getToken: async (scopes, options) => (await identity.credential(clientId)).getToken(scopes, options),
});

export interface ConfigSourceOptions {
  readonly env: Env;
  readonly baseDir: string;
  readonly logger: Logger;
  /** Watch the local jobs file for changes (the local host). */
  readonly watch: boolean;
  /** For a jobs blob without a SAS token. */
  readonly identity?: AzureIdentity;
  /** Told the channels of each version of the jobs file that parses (the version whose jobs are used). */
  readonly onChannels?: (channels: ReadonlyMap<string, Channel>) => void;
}

/** The jobs file: a blob (`PULSECHECK_JOBS_URL`) or a local file, watched when asked. */
export function configSourceFor(settings: Settings, options: ConfigSourceOptions): ConfigJobSource {
  const { env, baseDir, logger } = options;
  const parseJobsFile = (text: string, fileName: string) => {
    const parsed = parseJobsConfig(text, env, fileName);
    options.onChannels?.(parsed.channels);
    return parsed.jobs;
  };
  if (settings.jobsUrl) {
    const name = new URL(settings.jobsUrl).pathname.split('/').pop() || 'jobs blob';
    const credential = settings.storageIdentity && options.identity ? lazyCredential(options.identity, settings.storageIdentity.clientId) : undefined;
    return new BlobJobCatalog({ url: settings.jobsUrl, ...(credential ? { credential } : {}), logger, parse: (text) => parseJobsFile(text, name) });
  }
  const path = isAbsolute(settings.jobsFile) ? settings.jobsFile : resolve(baseDir, settings.jobsFile);
  return new FileJobCatalog(path, (text) => parseJobsFile(text, settings.jobsFile), { watch: options.watch, logger });
}

/**
 * Compiles an API job's definition as a job of the jobs file (no `defaults`), sandboxed: it may
 * reference only what the caller's policy allows, and a `url` or `auth.tokenUrl` that is an IP
 * literal the target guard refuses is an issue at once. Its `alerts` may name the jobs file's
 * `channels`, never define one.
 */
export const compileApiJob =
  (env: Env, targets: NetworkPolicy, channels: () => ReadonlyMap<string, Channel> = () => new Map()): CompileJob =>
  (definition, sandbox) => {
    const options = { env, source: 'api', where: '', pathPrefix: '', sandbox, channels: new Set(channels().keys()) } as const;
    const compiled = compileJob(definition as JobInput, {}, options);
    const refused = targetIssues(compiled.job, definition, targets);
    return refused.length === 0 ? compiled : { issues: [...compiled.issues, ...refused] };
  };
