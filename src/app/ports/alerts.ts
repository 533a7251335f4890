import type { AlertEvent, AlertRun } from '../../domain/alerting/event.js';
import type { AlertState } from '../../domain/alerting/rule.js';

/** The alert state of one rule of one job, as stored, with the version its conditional write needs. */
export interface AlertRecord {
  readonly job: string;
  /** The rule's position in the job's `alerts`. */
  readonly rule: number;
  readonly state: AlertState;
  /** The rule's channels when the state was decided (what `GET /api/alerts` shows). */
  readonly channels: readonly string[];
  /** Where the run (or the combined runs) of the last decision failed or ran. */
  readonly location: string;
  /**
   * The latest run of each location that was folded in, by location: what `combineLocations` reads
   * for `minLocations`, and how a run folded in already (redelivered, or recorded by another instance
   * that lost the write) is recognised.
   */
  readonly locations: Readonly<Record<string, AlertRun>>;
  /** Opaque: changes with every write (the Table entity's ETag). */
  readonly version: string;
}

/** One event to deliver to one channel: a row of the outbox. */
export interface NewDelivery {
  /** `<event id>|<channel>`: unique, the same on every try. */
  readonly id: string;
  readonly job: string;
  readonly channel: string;
  readonly event: AlertEvent;
  /** Epoch ms from when it may be sent. */
  readonly dueAt: number;
}

/** An outbox row as stored. */
export interface OutboxEntry extends NewDelivery {
  /** Tries so far. */
  readonly attempts: number;
  /** `dead`: no more tries (the last failed, or the receiver refused it); counted in `/api/health`. */
  readonly status: 'pending' | 'dead';
  /** Epoch ms until which an instance holds it (sending); 0 when free. */
  readonly leaseUntil: number;
  /** Why the last try failed. */
  readonly lastError?: string;
  /** Opaque: changes with every write. */
  readonly version: string;
}

/** How a failed try leaves an outbox row. */
export interface DeliveryFailure {
  readonly attempts: number;
  /** Epoch ms of the next try (ignored when `dead`). */
  readonly dueAt: number;
  readonly lastError: string;
  readonly dead: boolean;
}

/**
 * Alert state per job and rule. Writes are conditional: the instance whose write wins is the one
 * that recorded the transition, and only it queues the notifications (in the same write).
 */
export interface AlertStateStore {
  loadAlert(job: string, rule: number): Promise<AlertRecord | undefined>;
  /**
   * Saves `next` if the stored record is still at version `expected` (`null`: none is stored), and
   * adds `deliveries` to the outbox in the same atomic write. Resolves `false`, writing nothing, when
   * another writer got there first.
   */
  commitAlert(next: Omit<AlertRecord, 'version'>, expected: string | null, deliveries: readonly NewDelivery[]): Promise<boolean>;
  /** Every stored record (triggered or not), by job then rule. */
  listAlerts(): Promise<AlertRecord[]>;
}

/** The persisted outbox of alert deliveries (see app/outbox.ts). */
export interface OutboxStore {
  /** Pending rows due at `now` (epoch ms) and not leased, at most `max`. */
  dueDeliveries(now: number, max: number): Promise<OutboxEntry[]>;
  /**
   * Leases `entry` until `until` (epoch ms) if it is unchanged since it was read: the claimed row, or
   * `undefined` when another instance claimed or changed it first.
   */
  claimDelivery(entry: OutboxEntry, until: number): Promise<OutboxEntry | undefined>;
  /** Removes a delivered row. */
  completeDelivery(entry: OutboxEntry): Promise<void>;
  /** Records a failed try of a claimed row (and frees it), unless another instance changed it since. */
  failDelivery(entry: OutboxEntry, failure: DeliveryFailure): Promise<void>;
  /** How many rows are dead (dead letters). */
  countDeadDeliveries(): Promise<number>;
}
