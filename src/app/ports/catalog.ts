import type { Job } from '../../domain/job.js';
import type { ComponentHealth } from './health.js';

/** Where the app finds jobs: the jobs file and the API-defined jobs, merged (app/catalog.ts). */
export interface JobCatalog {
  /**
   * Every job. When storage cannot be read, the API jobs last read stand in (the checks go on);
   * with `complete`, a list that cannot hold every API job (none was ever read) is a 503 instead:
   * what the API shows must not leave jobs out silently.
   */
  list(options?: { readonly complete?: boolean }): Promise<readonly Job[]>;
  /**
   * The job whose name equals `name` ignoring case. Throws `unavailable` rather than answer
   * `undefined` ("no such job") when it is no jobs-file job and the API jobs were never read.
   */
  get(name: string): Promise<Job | undefined>;
}

/**
 * The jobs of the jobs file (a local file, or a blob): always the last good version. A new version
 * that is invalid is not applied; `health()` reports it until a good version replaces it.
 */
export interface ConfigJobSource {
  /** The current jobs; a source that polls (the blob) checks for a new version here, at most every few seconds. */
  list(): Promise<readonly Job[]>;
  /** Where the jobs come from (a path or a URL without its query) and the state of the last reload. */
  health(): ComponentHealth;
  /** Stops watching. */
  close(): void;
}
