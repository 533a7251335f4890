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
  /** An environment overlay merged over the file (read and watched with it); its text is `parse`'s second argument. */
  readonly overlay?: string;
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
  #overlayText: string | undefined;
  #loadedAt = new Date();
  #error: string | undefined;
  #watchers: FSWatcher[] = [];
  #timer: NodeJS.Timeout | undefined;

  /** `parse` turns the file's text into jobs (config/jobsFile.ts), injected by the composition root. */
  constructor(
    readonly path: string,
    private readonly parse: (text: string, overlayText?: string) => Job[],
    private readonly options: FileJobCatalogOptions = {},
  ) {
    this.#text = read(path);
    this.#overlayText = options.overlay === undefined ? undefined : read(options.overlay, 'overlay');
    this.#jobs = parse(this.#text, this.#overlayText);
    if (options.watch) for (const file of [path, ...(options.overlay === undefined ? [] : [options.overlay])]) this.#watch(file);
  }

  #watch(path: string): void {
    // The folder is watched, not the file: editors often replace the file (write + rename).
    const name = basename(path);
    const watcher = watch(dirname(path), (_event, file) => {
      if (file !== null && file !== name) return;
      clearTimeout(this.#timer);
      this.#timer = setTimeout(() => this.reload(), this.options.debounceMs ?? 100);
    });
    watcher.on('error', (error) => this.options.logger?.warn({ err: error, path }, 'cannot watch the jobs file any more'));
    this.#watchers.push(watcher);
  }

  async list(): Promise<readonly Job[]> {
    return this.#jobs;
  }

  /** Reads the file again; keeps the last good jobs if it is missing or invalid. */
  reload(): void {
    const { logger } = this.options;
    try {
      const text = read(this.path);
      const overlayText = this.options.overlay === undefined ? undefined : read(this.options.overlay, 'overlay');
      if (text === this.#text && overlayText === this.#overlayText && this.#error === undefined) return;
      const jobs = this.parse(text, overlayText);
      this.#jobs = jobs;
      this.#text = text;
      this.#overlayText = overlayText;
      this.#loadedAt = new Date();
      this.#error = undefined;
      logger?.info({ event: 'jobs-reloaded', path: this.path, jobs: jobs.length }, `jobs file reloaded: ${jobs.length} jobs`);
    } catch (error) {
      this.#error = (error as Error).message;
      logger?.error({ event: 'jobs-reload-failed', path: this.path }, `${this.#error}\n(the last good version stays in use)`);
    }
  }

  health(): ComponentHealth {
    const facts = { source: this.path, ...(this.options.overlay === undefined ? {} : { overlay: this.options.overlay }), jobs: this.#jobs.length, loadedAt: this.#loadedAt.toISOString() };
    return this.#error === undefined
      ? { status: 'ok', detail: `${this.#jobs.length} jobs from ${this.path}`, ...facts }
      : { status: 'degraded', detail: `the new version of ${this.path} is invalid; the last good version stays in use`, error: this.#error, ...facts };
  }

  close(): void {
    clearTimeout(this.#timer);
    for (const watcher of this.#watchers) watcher.close();
  }
}

function read(path: string, kind: 'jobs file' | 'overlay' = 'jobs file'): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'does not exist' : (error as Error).message;
    const setting = kind === 'jobs file' ? 'set PULSECHECK_JOBS_FILE' : 'check PULSECHECK_ENVIRONMENT or PULSECHECK_JOBS_OVERLAY';
    throw configError([{ path: '', message: `${kind} ${path} ${reason} (${setting})` }], kind);
  }
}
