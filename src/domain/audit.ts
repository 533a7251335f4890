import { invertedTime } from './history.js';

/** Who made a change, as far as the platform tells. */
export interface Actor {
  /** A user or service principal name, the function key's name, or `anonymous`. */
  readonly name: string;
  /**
   * How it was identified: `app-service-auth` (App Service Authentication headers), `function-key`,
   * or `none` (the local host, or an anonymous request).
   */
  readonly via: 'app-service-auth' | 'function-key' | 'none';
}

/**
 * `channel.test`: a test notification (`POST /api/channels/{name}/test`); `job` then names the channel.
 * `deadletter.retry`: a dead letter put back on the check queue (`POST /api/deadletters/{id}/retry`).
 */
export type AuditAction = 'job.create' | 'job.update' | 'job.delete' | 'channel.test' | 'deadletter.retry';

/** One recorded change: who, what, when, and the job before and after, secrets masked. */
export interface AuditEntry {
  /** Unique; also the tie-breaker of the sort key. */
  readonly id: string;
  /** ISO 8601 instant of the change. */
  readonly at: string;
  readonly actor: Actor;
  readonly action: AuditAction;
  /** The job's name (the channel's, for `channel.test`). */
  readonly job: string;
  /** The definition before the change (`null` for a creation), masked. */
  readonly before: Readonly<Record<string, unknown>> | null;
  /** The definition after the change (`null` for a deletion), masked; for `channel.test`, what happened. */
  readonly after: Readonly<Record<string, unknown>> | null;
}

/** Sort key of an audit entry: newest first. */
export const auditKey = (entry: Pick<AuditEntry, 'at' | 'id'>): string => `${invertedTime(Date.parse(entry.at))}_${entry.id}`;
