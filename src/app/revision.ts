import { createHash } from 'node:crypto';
import type { Job } from '../domain/job.js';

const revisions = new WeakMap<Job, string>();

/**
 * A job definition's revision, as queue messages carry it (docs/scaling.md): an API job's stored
 * revision (its ETag), else a hash of the definition as it runs (defaults and templates merged).
 * A reloaded job is a new object: the revision is computed once per definition.
 */
export function definitionRevision(job: Job): string {
  let revision = revisions.get(job);
  if (revision === undefined) {
    revision = job.revision ?? createHash('sha256').update(JSON.stringify(job.resolved ?? job.definition)).digest('base64url').slice(0, 16);
    revisions.set(job, revision);
  }
  return revision;
}
