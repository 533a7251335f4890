import { odata } from '@azure/data-tables';
import type { JobRepository, StoredJob } from '../../app/ports/index.js';
import { PulsecheckError, notFound, preconditionFailed } from '../../domain/errors.js';
import { pack, statusOf, unpack } from './entities.js';
import type { Entity, Tables } from './tables.js';

const TABLE = 'Jobs';

/**
 * API-defined jobs in `<prefix>Jobs`: partition `job`, row key = the lower-cased name (names are
 * unique ignoring case). The revision the API shows as ETag is a property; writes are conditional on
 * the entity's own ETag, so two writers that read the same revision cannot both succeed.
 */
export class JobsTable implements JobRepository {
  #cache: { jobs: StoredJob[]; at: number } | undefined;

  /** `ttlMs`: how long the list is reused (other instances' writes show after at most this). */
  constructor(
    private readonly tables: Tables,
    private readonly ttlMs: number,
  ) {}

  async listJobs(): Promise<StoredJob[]> {
    const now = Date.now();
    if (!this.#cache || now - this.#cache.at > this.ttlMs) {
      const entities = await this.tables.query(TABLE, odata`PartitionKey eq 'job'`);
      this.#cache = { jobs: entities.map(storedJob), at: now };
    }
    return this.#cache.jobs.map((job) => structuredClone(job));
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
    } finally {
      this.#cache = undefined;
    }
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
    } finally {
      this.#cache = undefined;
    }
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
