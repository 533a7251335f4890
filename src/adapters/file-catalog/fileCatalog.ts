import { readFileSync } from 'node:fs';
import type { JobCatalog } from '../../app/ports/index.js';
import { configError } from '../../domain/errors.js';
import type { Job } from '../../domain/job.js';

/**
 * Jobs from the jobs file, read once at start-up: a bad file fails start-up loudly (the parser
 * throws `config_invalid` with every problem).
 */
export class FileJobCatalog implements JobCatalog {
  readonly #jobs: readonly Job[];
  readonly #byName: ReadonlyMap<string, Job>;

  /** `parse` turns the file's text into jobs (config/jobsFile.ts), injected by the composition root. */
  constructor(readonly path: string, parse: (text: string) => Job[]) {
    let text: string;
    try {
      text = readFileSync(path, 'utf8');
    } catch (error) {
      const reason = (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'does not exist' : (error as Error).message;
      throw configError([{ path: '', message: `jobs file ${path} ${reason} (set PULSECHECK_JOBS_FILE)` }], 'jobs file');
    }
    this.#jobs = parse(text);
    this.#byName = new Map(this.#jobs.map((job) => [job.name, job]));
  }

  async list(): Promise<readonly Job[]> {
    return this.#jobs;
  }

  async get(name: string): Promise<Job | undefined> {
    return this.#byName.get(name);
  }
}
