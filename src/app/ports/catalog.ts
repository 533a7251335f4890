import type { Job } from '../../domain/job.js';
import type { ComponentHealth } from './health.js';

/** Where the app finds jobs: the jobs file and the API-defined jobs, merged (app/catalog.ts). */
export interface JobCatalog {
  list(): Promise<readonly Job[]>;
  /** The job whose name equals `name` ignoring case. */
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
