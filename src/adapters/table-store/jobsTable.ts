import { randomBytes } from 'node:crypto';
import type { Clock, JobRepository, StoredJob } from '../../app/ports/index.js';
import { PulsecheckError, dependencyUnavailable, notFound, preconditionFailed } from '../../domain/errors.js';
import { LATE } from '../../domain/deadline.js';
import { withinDeadline } from './deadline.js';
import { pack, statusOf, unpack } from './entities.js';
import { odata, type Entity, type Tables } from './tables.js';

const TABLE = 'Jobs';
/** The row every write changes (partition `meta`): readers reload the list only when it changed. */
const VERSION = { partitionKey: 'meta', rowKey: 'version' } as const;
/** The whole list is read again at least this often, whatever the version row says, in ms. */
const FULL_RELOAD_MS = 5 * 60_000;
/** How long the first read waits before failing (the catalog then goes on without API jobs), in ms; the read goes on. */
const FIRST_LOAD_WAIT_MS = 2_000;

/**
 * API-defined jobs in `<prefix>Jobs`: partition `job`, row key = the lower-cased name (names are
 * unique ignoring case). The revision the API shows as ETag is a property; writes are conditional on
 * the entity's own ETag, so two writers that read the same revision cannot both succeed.
 *
 * The list is cached: every `ttlMs` one point read of a version row (changed by every write, on any
 * instance) tells whether to read the list again. Reading 1 000 jobs every few seconds would cost
 * far more (and stalls Azurite, which serves one request at a time).
 */
export class JobsTable implements JobRepository {
  #cache: { jobs: StoredJob[]; version: string | undefined; checkedAt: number; loadedAt: number } | undefined;
  #refreshing: Promise<StoredJob[]> | undefined;

  /** `ttlMs`: how long the list is reused (other instances' writes show after at most this). */
  constructor(
    private readonly tables: Tables,
    private readonly ttlMs: number,
    private readonly clock: Clock,
  ) {}

  async listJobs(): Promise<StoredJob[]> {
    const cache = this.#cache;
    if (!cache) {
      const jobs = await withinDeadline(this.#refresh(), FIRST_LOAD_WAIT_MS);
      if (jobs === LATE) throw dependencyUnavailable('Table Storage', new Error(`no answer within ${FIRST_LOAD_WAIT_MS} ms`));
      return [...jobs];
    }
    // Stale while revalidating: one check at a time; callers never wait for it.
    if (this.clock.now() - cache.checkedAt > this.ttlMs) void this.#refresh().catch(() => undefined);
    // Frozen, so handed out without copying (listing 1 000 jobs is on the hot path of GET /api/jobs).
    return [...cache.jobs];
  }

  #refresh(): Promise<StoredJob[]> {
    this.#refreshing ??= (async () => {
      const started = this.clock.now();
      const version = await this.#version();
      const cache = this.#cache;
      if (cache && cache.version === version && started - cache.loadedAt < FULL_RELOAD_MS) {
        cache.checkedAt = started;
        return cache.jobs;
      }
      const entities = await this.tables.query(TABLE, odata`PartitionKey eq 'job'`);
      const jobs = entities.map((entity) => Object.freeze(storedJob(entity)));
      this.#cache = { jobs, version, checkedAt: started, loadedAt: started };
      return jobs;
    })().finally(() => (this.#refreshing = undefined));
    return this.#refreshing;
  }

  async #version(): Promise<string | undefined> {
    const entity = await this.tables.orUndefined(() => this.tables.table(TABLE).getEntity<Record<string, unknown>>(VERSION.partitionKey, VERSION.rowKey));
    return entity ? String(entity.token) : undefined;
  }

  /** After every write: readers everywhere notice at their next check. */
  async #changed(): Promise<void> {
    this.#cache = undefined;
    await this.tables.call(() => this.tables.table(TABLE).upsertEntity({ ...VERSION, token: randomBytes(8).toString('hex') }, 'Replace'));
  }

  async getJob(name: string): Promise<StoredJob | undefined> {
    const entity = await this.#entity(name);
    return entity && storedJob(entity);
  }

  async createJob(job: StoredJob): Promise<StoredJob> {
    try {
      await this.tables.call(() => this.tables.table(TABLE).createEntity(toEntity(job)));
    } catch (error) {
      if (statusOf(error) === 409) throw new PulsecheckError('conflict', `a job named "${job.name}" already exists`);
      throw error;
    }
    await this.#changed();
    return job;
  }

  async replaceJob(job: StoredJob, expectedEtag: string): Promise<StoredJob> {
    const etag = await this.#etagIfRevision(job.name, expectedEtag);
    await this.#conditional(job.name, () => this.tables.table(TABLE).updateEntity(toEntity(job), 'Replace', { etag }));
    return job;
  }

  async deleteJob(name: string, expectedEtag: string): Promise<void> {
    const etag = await this.#etagIfRevision(name, expectedEtag);
    await this.#conditional(name, () => this.tables.table(TABLE).deleteEntity('job', name.toLowerCase(), { etag }));
  }

  async #entity(name: string): Promise<Entity | undefined> {
    return (await this.tables.orUndefined(() => this.tables.table(TABLE).getEntity<Record<string, unknown>>('job', name.toLowerCase()))) as Entity | undefined;
  }

  /** The entity's own ETag, if the job's revision is `expected`. */
  async #etagIfRevision(name: string, expected: string): Promise<string> {
    const entity = await this.#entity(name);
    if (!entity) throw notFound(`job "${name}"`);
    if (entity.revision !== expected) throw preconditionFailed(`job "${String(entity.name)}"`);
    return entity.etag;
  }

  async #conditional(name: string, write: () => Promise<unknown>): Promise<void> {
    try {
      await this.tables.call(write);
    } catch (error) {
      // Another writer got in between our read and our write.
      if (statusOf(error) === 412) throw preconditionFailed(`job "${name}"`);
      if (statusOf(error) === 404) throw notFound(`job "${name}"`);
      throw error;
    }
    await this.#changed();
  }
}

const toEntity = (job: StoredJob) => ({
  partitionKey: 'job',
  rowKey: job.name.toLowerCase(),
  name: job.name,
  revision: job.etag,
  createdAt: job.createdAt,
  updatedAt: job.updatedAt,
  ...pack(job.definition),
});

const storedJob = (entity: Entity): StoredJob => ({
  name: String(entity.name),
  definition: unpack<Record<string, unknown>>(entity),
  etag: String(entity.revision),
  createdAt: String(entity.createdAt),
  updatedAt: String(entity.updatedAt),
});
