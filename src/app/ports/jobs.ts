/** A job defined through the API, as stored: its definition as written (the jobs-file job schema). */
export interface StoredJob {
  readonly name: string;
  readonly definition: Readonly<Record<string, unknown>>;
  /** Opaque revision, changed by every write: the HTTP `ETag` (quoted there). */
  readonly etag: string;
  /** ISO 8601 instants. */
  readonly createdAt: string;
  readonly updatedAt: string;
}

/**
 * API-defined jobs. Names are unique ignoring case. Writes are conditional, so two clients that read
 * the same revision cannot both overwrite it.
 */
export interface JobRepository {
  listJobs(): Promise<StoredJob[]>;
  /** The job whose name equals `name` ignoring case. */
  getJob(name: string): Promise<StoredJob | undefined>;
  /** @throws PulsecheckError `conflict` when a job with that name (ignoring case) exists. */
  createJob(job: StoredJob): Promise<StoredJob>;
  /**
   * Replaces the job whose revision is `expectedEtag`.
   * @throws PulsecheckError `not_found`, or `precondition_failed` when the revision has changed.
   */
  replaceJob(job: StoredJob, expectedEtag: string): Promise<StoredJob>;
  /**
   * Deletes the job whose revision is `expectedEtag`.
   * @throws PulsecheckError `not_found`, or `precondition_failed` when the revision has changed.
   */
  deleteJob(name: string, expectedEtag: string): Promise<void>;
}
