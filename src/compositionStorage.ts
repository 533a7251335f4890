import { isAbsolute, resolve } from 'node:path';
import type { TokenCredential } from '@azure/core-auth';
import type { AzureIdentity } from './adapters/azure-identity/azureIdentity.js';
import { BlobJobCatalog } from './adapters/blob-catalog/blobCatalog.js';
import { FileJobCatalog } from './adapters/file-catalog/fileCatalog.js';
import { MemoryStore } from './adapters/memory-store/memoryStore.js';
import { StorageCheckQueue } from './adapters/storage-queue/checkQueue.js';
import { AlertsTable } from './adapters/table-store/alertsTable.js';
import { AuditTable } from './adapters/table-store/auditTable.js';
import { ClaimsTable } from './adapters/table-store/claimsTable.js';
import { DispatcherTable } from './adapters/table-store/dispatcherTable.js';
import { JobStateTable } from './adapters/table-store/jobStateTable.js';
import { JobsTable } from './adapters/table-store/jobsTable.js';
import { RollupsTable } from './adapters/table-store/rollupsTable.js';
import { RunsTable } from './adapters/table-store/runsTable.js';
import { TABLE, TableStorage, type TableStoreOptions } from './adapters/table-store/tableStore.js';
import { Tables } from './adapters/table-store/tables.js';
import type { CheckQueue, Clock, ConfigJobSource, Logger, StateStore } from './app/ports/index.js';
import { CHECKS_QUEUE } from './domain/occurrence.js';
import { loadJobsFiles, type LoadedJobs } from './config/jobsFile.js';
import { configError } from './domain/errors.js';
import type { Settings } from './config/settings.js';
import type { Env } from './config/substitute.js';

/**
 * The composition root's storage half (issue 4): which store and which jobs-file source. Kept apart from composition.ts so that file stays a short wiring list.
 */

/**
 * Table Storage when `AzureWebJobsStorage` is a connection string or an identity-based account is
 * configured; otherwise the memory store (history and API jobs are then lost on restart, and
 * `/api/health` says so). The identity-based connection uses the app's credential (main's
 * AzureIdentity: managed identity in Azure), created on first use.
 */
export function storeFor(settings: Settings, logger: Logger, identity: AzureIdentity, clock: Clock): StateStore {
  const common = { logger, clock, tablePrefix: settings.tablePrefix, location: settings.location };
  if (settings.storageConnection) return tableStore({ ...common, connection: { connectionString: settings.storageConnection } });
  if (settings.storageIdentity) {
    const endpoint = settings.storageIdentity.tableServiceUri;
    return tableStore({ ...common, connection: { endpoint, credential: lazyCredential(identity, settings.storageIdentity.clientId) } });
  }
  return new MemoryStore({ location: settings.location });
}

/** Queue mode's `pulsecheck-checks` in the `AzureWebJobsStorage` account (settings ensure there is one); inline mode: none. */
export function checkQueueFor(settings: Settings, identity: AzureIdentity): CheckQueue | undefined {
  if (settings.dispatch !== 'queue') return undefined;
  if (settings.storageConnection) return new StorageCheckQueue({ connectionString: settings.storageConnection }, CHECKS_QUEUE);
  const storage = settings.storageIdentity;
  if (!storage) return undefined;
  return new StorageCheckQueue({ endpoint: storage.queueServiceUri, credential: lazyCredential(identity, storage.clientId) }, CHECKS_QUEUE);
}

/** How long the list of API jobs read from storage is reused, in ms (other instances' changes show after this). */
const JOBS_CACHE_MS = 5_000;

/** The Table store: one class per role over the shared tables and write-behind (TableStorage). */
export function tableStore(options: TableStoreOptions): StateStore {
  const storage = new TableStorage(options);
  const { tables, writer } = storage;
  const location = options.location ?? 'local';
  const dispatcher = new DispatcherTable(tables, writer, TABLE.state, options.logger, location);
  const states = new JobStateTable(tables, writer, TABLE.state, options.clock, options.logger, location);
  const runs = new RunsTable(tables, writer);
  const audit = new AuditTable(tables, TABLE.audit);
  const jobs = new JobsTable(tables, JOBS_CACHE_MS, options.clock);
  const rollups = new RollupsTable(tables, options.clock, options.logger, options.rollupLingerMs);
  const alerts = new AlertsTable(storage.alertTables);
  return {
    kind: storage.kind,
    durable: storage.durable,
    // A periodic flush (each tick) leaves rollups to their own linger: a minute of runs per row.
    flush: async (flushOptions) => {
      await Promise.all([storage.flush(), flushOptions?.periodic ? undefined : rollups.flush()]);
    },
    health: () => storage.health(),
    close: async () => {
      await rollups.flush();
      await storage.close();
    },
    loadCursors: () => dispatcher.loadCursors(),
    saveCursors: (cursors) => dispatcher.saveCursors(cursors),
    loadLastTick: () => dispatcher.loadLastTick(),
    saveLastTick: (at) => dispatcher.saveLastTick(at),
    loadCircuit: (job) => states.loadCircuit(job),
    saveCircuit: (job, state) => states.saveCircuit(job, state),
    loadState: (job) => states.loadState(job),
    loadStates: () => states.loadStates(),
    saveState: (job, state) => states.saveState(job, state),
    loadLocations: (job) => states.loadLocations(job),
    forgetJob: (job) => states.forgetJob(job),
    recordRun: (run) => runs.recordRun(run),
    whenStored: (run) => runs.whenStored(run),
    // Its own Tables: the table is created on the first claim (queue mode only).
    claims: new ClaimsTable(new Tables({ connection: options.connection, prefix: options.tablePrefix ?? 'Pulsecheck', names: [TABLE.claims], clock: options.clock }), TABLE.claims),
    listRuns: (job, page) => runs.listRuns(job, page),
    deleteRunsBefore: (before, max) => runs.deleteRunsBefore(before, max),
    addRollups: (deltas) => rollups.addRollups(deltas),
    listRollups: (query) => rollups.listRollups(query),
    compactRollups: (closedBefore, deleteBefore, max) => rollups.compactRollups(closedBefore, deleteBefore, max),
    recordAudit: (entry) => audit.recordAudit(entry),
    listAudit: (page) => audit.listAudit(page),
    listJobs: () => jobs.listJobs(),
    getJob: (name) => jobs.getJob(name),
    createJob: (job) => jobs.createJob(job),
    replaceJob: (job, etag) => jobs.replaceJob(job, etag),
    deleteJob: (name, etag) => jobs.deleteJob(name, etag),
    loadAlert: (job, rule) => alerts.loadAlert(job, rule),
    commitAlert: (next, expected, deliveries) => alerts.commitAlert(next, expected, deliveries),
    listAlerts: () => alerts.listAlerts(),
    dueDeliveries: (now, max) => alerts.dueDeliveries(now, max),
    claimDelivery: (entry, until) => alerts.claimDelivery(entry, until),
    completeDelivery: (entry) => alerts.completeDelivery(entry),
    failDelivery: (entry, failure) => alerts.failDelivery(entry, failure),
    countDeadDeliveries: () => alerts.countDeadDeliveries(),
  };
}

/** A credential that asks `identity` for the real one when the SDK first needs a token. */
export const lazyCredential = (identity: AzureIdentity, clientId: string | undefined): TokenCredential => ({
  getToken: async (scopes, options) => (await identity.credential(clientId)).getToken(scopes, options),
});

export interface ConfigSourceOptions {
  readonly env: Env;
  readonly baseDir: string;
  readonly logger: Logger;
  readonly clock: Clock;
  /** Watch the local jobs file for changes (the local host). */
  readonly watch: boolean;
  /** For a jobs blob without a SAS token. */
  readonly identity?: AzureIdentity;
  /**
   * Set to what API jobs and alerts take from each version applied: its `defaults` and `templates`
   * (`shared`) and its `channels`.
   */
  readonly file: { current: Omit<LoadedJobs, 'jobs'> };
}

/**
 * The jobs file: a blob (`PULSECHECK_JOBS_URL`) or a local file with its environment overlay, watched
 * when asked. Both sources apply a version exactly when parsing it succeeds, so `file` follows the
 * jobs in use.
 */
export function configSourceFor(settings: Settings, options: ConfigSourceOptions): ConfigJobSource {
  const { env, baseDir, logger, clock, file } = options;
  const load = (base: { name: string; text: string }, overlay?: { name: string; text: string }) => {
    const { jobs, ...parts } = loadJobsFiles(base, overlay, env);
    file.current = parts;
    return jobs;
  };
  if (settings.jobsUrl) {
    if (settings.jobsOverlay) {
      throw configError([{ path: 'PULSECHECK_ENVIRONMENT', message: 'environment overlays apply to a local jobs file, not to PULSECHECK_JOBS_URL: unset PULSECHECK_ENVIRONMENT and PULSECHECK_JOBS_OVERLAY, or keep one blob per environment' }], 'settings');
    }
    const name = new URL(settings.jobsUrl).pathname.split('/').pop() || 'jobs blob';
    const credential = settings.storageIdentity && options.identity ? lazyCredential(options.identity, settings.storageIdentity.clientId) : undefined;
    return new BlobJobCatalog({ url: settings.jobsUrl, ...(credential ? { credential } : {}), logger, clock, parse: (text) => load({ name, text }) });
  }
  const at = (path: string) => (isAbsolute(path) ? path : resolve(baseDir, path));
  const overlay = settings.jobsOverlay;
  return new FileJobCatalog(
    at(settings.jobsFile),
    (text, overlayText) => load({ name: settings.jobsFile, text }, overlay === undefined || overlayText === undefined ? undefined : { name: overlay, text: overlayText }),
    { watch: options.watch, logger, ...(overlay === undefined ? {} : { overlay: at(overlay) }) },
  );
}
