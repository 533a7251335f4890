import type { Job } from '../../domain/job.js';

/** Where jobs come from: the jobs file now, the API later. */
export interface JobCatalog {
  list(): Promise<readonly Job[]>;
  get(name: string): Promise<Job | undefined>;
}
