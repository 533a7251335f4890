import { PulsecheckError, isPulsecheckError, type Issue } from '../domain/errors.js';
import type { Job } from '../domain/job.js';
import type { ReferencePolicy } from '../domain/sandbox.js';
import type { ComponentHealth, ConfigJobSource, JobCatalog, JobRepository, Logger, StoredJob } from './ports/index.js';

/**
 * Turns an API job's definition into a job that may reference only what `sandbox` allows
 * (config/compileJob.ts, injected by the composition root).
 */
export type CompileJob = (definition: Readonly<Record<string, unknown>>, sandbox: ReferencePolicy) => { job?: Job; issues: readonly Issue[] };

export interface CatalogDeps {
  readonly config: ConfigJobSource;
  readonly repository: JobRepository;
  readonly compile: CompileJob;
  /**
   * What stored API jobs may reference when they are loaded: the API's policy of today, so that a
   * narrowed allow-list also stops jobs created before (they are reported, and do not run).
   */
  readonly sandbox: ReferencePolicy;
  readonly logger: Logger;
}

interface Compiled {
  readonly etag: string;
  readonly job?: Job;
  readonly issues: readonly Issue[];
}

/**
 * Every job: those of the jobs file (read-only through the API) and those created through the API.
 * A stored job is compiled once per revision, so its policies (built per job object) are kept
 * between ticks. If storage cannot be read, the API jobs last read are used and health says so.
 * A file job and an API job never share a name: the API refuses it, and should a new jobs file
 * bring one, the file's job wins and health reports the API job as shadowed.
 */
export class Catalog implements JobCatalog {
  readonly #deps: CatalogDeps;
  readonly #compiled = new Map<string, Compiled>();
  #problems: string[] = [];
  /** The jobs-file version API jobs were compiled with: they take its `defaults` and templates. */
  #configVersion: readonly Job[] | undefined;
  #storageError: string | undefined;
  /** Why the API jobs were never read (none to stand in for them), until one read succeeds. */
  #neverRead: unknown;
  #read = false;

  constructor(deps: CatalogDeps) {
    this.#deps = deps;
  }

  async list(options: { readonly complete?: boolean } = {}): Promise<readonly Job[]> {
    const config = await this.#configJobs();
    const taken = new Set(config.map((job) => job.name.toLowerCase()));
    const problems: string[] = [];
    const api: Job[] = [];
    const stored = await this.#stored();
    if (options.complete) this.#throwIfNeverRead();
    const names = new Set(stored.map((job) => job.name.toLowerCase()));
    for (const key of this.#compiled.keys()) if (!names.has(key)) this.#compiled.delete(key);
    for (const entry of stored) {
      const compiled = this.#compile(entry);
      if (taken.has(entry.name.toLowerCase())) problems.push(`API job "${entry.name}" is shadowed by the jobs file job of the same name`);
      else if (compiled.job) api.push(compiled.job);
      else problems.push(`API job "${entry.name}" is invalid: ${compiled.issues.map((i) => i.message).join('; ')}`);
    }
    this.#problems = problems;
    return [...config, ...api];
  }

  async get(name: string): Promise<Job | undefined> {
    const config = await this.configJob(name);
    if (config) return config;
    // From the list (cached by the store for a few seconds): `GET …/runs` must not cost a read.
    const lower = name.toLowerCase();
    const stored = (await this.#stored()).find((job) => job.name.toLowerCase() === lower);
    if (!stored) this.#throwIfNeverRead();
    return stored && this.#compile(stored).job;
  }

  /** The jobs-file job named `name` (ignoring case), if any. */
  async configJob(name: string): Promise<Job | undefined> {
    const lower = name.toLowerCase();
    return (await this.#configJobs()).find((job) => job.name.toLowerCase() === lower);
  }

  /** The jobs file's jobs; a new version (a new list) compiles API jobs again. */
  async #configJobs(): Promise<readonly Job[]> {
    const config = await this.#deps.config.list();
    if (config !== this.#configVersion) {
      this.#configVersion = config;
      this.#compiled.clear();
    }
    return config;
  }

  /** The jobs file's reload state, and API jobs that cannot run. */
  health(): ComponentHealth {
    const config = this.#deps.config.health();
    const problems = [...this.#problems, ...(this.#storageError ? [this.#storageError] : [])];
    if (problems.length === 0) return config;
    return { ...config, status: config.status === 'ok' ? 'degraded' : config.status, problems };
  }

  async #stored(): Promise<readonly StoredJob[]> {
    try {
      const stored = await this.#deps.repository.listJobs();
      this.#storageError = undefined;
      this.#neverRead = undefined;
      this.#read = true;
      return stored;
    } catch (error) {
      if (!this.#read) this.#neverRead = error;
      this.#storageError = `API jobs could not be read from storage; using the last ones read (${(error as Error).message.split('\n')[0]})`;
      this.#deps.logger.warn({ err: error }, 'API jobs could not be read; using the last ones read');
      return [...this.#compiled.values()].flatMap((c) => (c.job ? [{ name: c.job.name, definition: c.job.definition, etag: c.etag, createdAt: '', updatedAt: '' }] : []));
    }
  }

  /** The store's own error (a 503 naming it) when the API jobs were never read. */
  #throwIfNeverRead(): void {
    const error = this.#neverRead;
    if (error === undefined) return;
    throw isPulsecheckError(error) && error.code === 'unavailable' ? error : new PulsecheckError('unavailable', 'API jobs could not be read', [], { cause: error, dependency: 'storage' });
  }

  #compile(stored: StoredJob): Compiled {
    const key = stored.name.toLowerCase();
    const cached = this.#compiled.get(key);
    if (cached?.etag === stored.etag) return cached;
    const { job, issues } = this.#deps.compile(stored.definition, this.#deps.sandbox);
    if (!job) this.#deps.logger.warn({ job: stored.name, fields: issues.map((issue) => issue.path) }, `API job "${stored.name}" is invalid and does not run`);
    const compiled: Compiled = { etag: stored.etag, issues, ...(job ? { job: { ...job, revision: stored.etag } } : {}) };
    this.#compiled.set(key, compiled);
    return compiled;
  }
}
