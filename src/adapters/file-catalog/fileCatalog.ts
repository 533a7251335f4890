import { readFileSync, watch, type FSWatcher } from 'node:fs';
import { basename, dirname } from 'node:path';
import type { ComponentHealth, ConfigJobSource, Logger } from '../../app/ports/index.js';
import { configError } from '../../domain/errors.js';
import type { Job } from '../../domain/job.js';

export interface FileJobCatalogOptions {
  /** Re-read the file when it changes (the local host). Default false. */
  readonly watch?: boolean;
  /** Where reloads are reported. */
  readonly logger?: Logger;
  /** Quiet period after a change before the file is read, in ms (editors write in steps). Default 100. */
  readonly debounceMs?: number;
}

/**
 * Jobs from the jobs file. The first read happens in the constructor: a bad file fails start-up
 * loudly (the parser throws `config_invalid` with every problem). With `watch`, a changed file is
 * read again; a version that does not parse is not applied — the last good jobs stay, and the
 * problem is logged and shown by `health()` until a good version replaces it.
 */
export class FileJobCatalog implements ConfigJobSource {
  #jobs: readonly Job[];
  #text: string;
  #loadedAt = new Date();
  #error: string | undefined;
  #watcher: FSWatcher | undefined;
  #timer: NodeJS.Timeout | undefined;

  /** `parse` turns the file's text into jobs (config/jobsFile.ts), injected by the composition root. */
  constructor(
    readonly path: string,
    private readonly parse: (text: string) => Job[],
    private readonly options: FileJobCatalogOptions = {},
  ) {
    this.#text = read(path);
    this.#jobs = parse(this.#text);
    if (options.watch) {
      // The folder is watched, not the file: editors often replace the file (write + rename).
      const name = basename(path);
      this.#watcher = watch(dirname(path), (_event, file) => {
        if (file !== null && file !== name) return;
        clearTimeout(this.#timer);
        this.#timer = setTimeout(() => this.reload(), options.debounceMs ?? 100);
      });
      this.#watcher.on('error', (error) => options.logger?.warn({ err: error, path }, 'cannot watch the jobs file any more'));
    }
  }

  async list(): Promise<readonly Job[]> {
    return this.#jobs;
  }

  /** Reads the file again; keeps the last good jobs if it is missing or invalid. */
  reload(): void {
    const { logger } = this.options;
    try {
      const text = read(this.path);
      if (text === this.#text && this.#error === undefined) return;
      const jobs = this.parse(text);
      this.#jobs = jobs;
      this.#text = text;
      this.#loadedAt = new Date();
      this.#error = undefined;
      logger?.info({ event: 'jobs-reloaded', path: this.path, jobs: jobs.length }, `jobs file reloaded: ${jobs.length} jobs`);
    } catch (error) {
      this.#error = (error as Error).message;
      logger?.error({ event: 'jobs-reload-failed', path: this.path }, `${this.#error}\n(the last good version stays in use)`);
    }
  }

  health(): ComponentHealth {
    const facts = { source: this.path, jobs: this.#jobs.length, loadedAt: this.#loadedAt.toISOString() };
    return this.#error === undefined
      ? { status: 'ok', detail: `${this.#jobs.length} jobs from ${this.path}`, ...facts }
      : { status: 'degraded', detail: `the new version of ${this.path} is invalid; the last good version stays in use`, error: this.#error, ...facts };
  }

  close(): void {
    clearTimeout(this.#timer);
    this.#watcher?.close();
  }
}

function read(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'does not exist' : (error as Error).message;
    throw configError([{ path: '', message: `jobs file ${path} ${reason} (set PULSECHECK_JOBS_FILE)` }], 'jobs file');
  }
}
