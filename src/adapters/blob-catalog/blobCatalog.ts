import { createRequire } from 'node:module';
import type { TokenCredential } from '@azure/core-auth';
import type * as StorageBlob from '@azure/storage-blob';
import type { BlobClient } from '@azure/storage-blob';
import type { Clock, ComponentHealth, ConfigJobSource, Logger } from '../../app/ports/index.js';
import type { Job } from '../../domain/job.js';

export interface BlobJobCatalogOptions {
  /** The blob's URL; with a SAS token in its query, or read with `credential`, or public. */
  readonly url: string;
  /** Entra ID credential (managed identity) when the URL carries no SAS. */
  readonly credential?: TokenCredential;
  readonly parse: (text: string) => Job[];
  readonly logger: Logger;
  readonly clock: Clock;
  /** The blob is checked at most this often, in ms (each dispatcher tick normally). Default 5 000. */
  readonly minIntervalMs?: number;
}

/**
 * The jobs file kept in a blob (`PULSECHECK_JOBS_URL`), for deployments that change jobs without
 * redeploying. Each check is a conditional download (`If-None-Match` on the last ETag), so an
 * unchanged blob costs one small request. A new version that does not parse is not applied: the
 * last good jobs stay, and the problem is logged and shown by `health()`.
 * `@azure/storage-blob` rather than a bare HTTP GET: it signs requests with an Entra ID token
 * (managed identity), sends the storage API version, and retries.
 */
export class BlobJobCatalog implements ConfigJobSource {
  readonly #options: BlobJobCatalogOptions;
  readonly #client: BlobClient;
  #jobs: readonly Job[] = [];
  #etag: string | undefined;
  #loadedAt: string | undefined;
  #checkedAt = Number.NEGATIVE_INFINITY;
  #checking: Promise<void> | undefined;
  #error: string | undefined;

  constructor(options: BlobJobCatalogOptions) {
    this.#options = options;
    const sas = new URL(options.url).searchParams.has('sig');
    // Loaded only when a jobs blob is configured (it costs memory otherwise unused).
    const { BlobClient } = createRequire(import.meta.url)('@azure/storage-blob') as typeof StorageBlob;
    this.#client = sas || !options.credential ? new BlobClient(options.url) : new BlobClient(options.url, options.credential);
  }

  async list(): Promise<readonly Job[]> {
    const now = this.#options.clock.now();
    if (now - this.#checkedAt >= (this.#options.minIntervalMs ?? 5_000)) {
      this.#checkedAt = now;
      this.#checking ??= this.#check().finally(() => (this.#checking = undefined));
    }
    if (this.#checking) await this.#checking;
    return this.#jobs;
  }

  async #check(): Promise<void> {
    const { logger, parse } = this.#options;
    let text: string;
    let etag: string | undefined;
    try {
      const response = await this.#client.download(0, undefined, this.#etag ? { conditions: { ifNoneMatch: this.#etag } } : {});
      text = await readAll(response.readableStreamBody);
      etag = response.etag;
    } catch (error) {
      if ((error as { statusCode?: number }).statusCode === 304) return;
      this.#fail(`the jobs blob cannot be read: ${(error as Error).message.split('\n')[0]}`, error);
      return;
    }
    try {
      const jobs = parse(text);
      this.#jobs = jobs;
      this.#etag = etag;
      this.#loadedAt = new Date().toISOString();
      this.#error = undefined;
      logger.info({ event: 'jobs-reloaded', source: this.#where(), etag, jobs: jobs.length }, `jobs blob loaded: ${jobs.length} jobs`);
    } catch (error) {
      // Remember the ETag: the same bad version is not downloaded and reported again every tick.
      this.#etag = etag;
      this.#fail((error as Error).message);
    }
  }

  #fail(message: string, error?: unknown): void {
    this.#error = message;
    this.#options.logger.error({ event: 'jobs-reload-failed', source: this.#where(), ...(error ? { err: error } : {}) }, `${message}\n(the last good version stays in use)`);
  }

  /** The URL without its query (a SAS token is a secret). */
  #where(): string {
    const url = new URL(this.#options.url);
    return `${url.origin}${url.pathname}`;
  }

  health(): ComponentHealth {
    const facts = { source: this.#where(), jobs: this.#jobs.length, etag: this.#etag ?? null, loadedAt: this.#loadedAt ?? null };
    if (this.#error === undefined) return { status: 'ok', detail: `${this.#jobs.length} jobs from ${this.#where()}`, ...facts };
    const status = this.#loadedAt === undefined ? 'down' : 'degraded';
    return { status, detail: this.#loadedAt === undefined ? 'no valid jobs blob has been read yet' : 'the last good version of the jobs blob stays in use', error: this.#error, ...facts };
  }

  close(): void {}
}

async function readAll(stream: NodeJS.ReadableStream | undefined): Promise<string> {
  if (!stream) return '';
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer));
  return Buffer.concat(chunks).toString('utf8');
}
