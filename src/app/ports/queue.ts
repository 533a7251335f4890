import type { OccurrenceMessage } from '../../domain/occurrence.js';

/** An occurrence to queue, and when its message becomes visible. */
export interface QueuedOccurrence {
  readonly message: OccurrenceMessage;
  /** Seconds until the message is visible (see `visibilityDelaySeconds`). */
  readonly delaySeconds: number;
}

/** The Storage queue `pulsecheck-checks` as the dispatcher fills it (queue mode). */
export interface CheckQueue {
  /**
   * Puts one message per occurrence, each with its delay. Resolves with how many were put, in the
   * given order, before the first failure (the rest were not: the caller plans them again).
   */
  enqueue(occurrences: readonly QueuedOccurrence[]): Promise<{ readonly sent: number; readonly error?: unknown }>;
}

/** Who holds an occurrence: the queue message that claimed it. */
export interface ClaimHolder {
  /** The queue message's id (the same across redeliveries of that message). */
  readonly messageId: string;
  /** Epoch ms. */
  readonly at: number;
}

/**
 * Occurrence claims: one conditional write per occurrence, so two instances never both run and
 * record it. A claim is kept with the message that made it: a redelivery of the same message (its
 * holder died or failed) may take it over; another message for the same occurrence (a duplicate
 * put) may not.
 */
export interface OccurrenceClaims {
  /**
   * Claims `runId` for `holder`: an insert that fails when the claim exists. Returns `claimed`, or
   * `held` with the holder that has it.
   */
  claim(runId: string, holder: ClaimHolder): Promise<{ readonly claimed: true } | { readonly claimed: false; readonly holder: ClaimHolder; readonly etag: string }>;
  /** Takes over a claim whose revision is still `etag` (a conditional replace); false when another changed it first. */
  takeOver(runId: string, holder: ClaimHolder, etag: string): Promise<boolean>;
  /**
   * Deletes the claims of occurrences scheduled on UTC days that ended by `before` (whole days: a
   * claim outlives the cutoff by less than a day), about `max` at most (it may pass it by one
   * transaction's worth); the retention timer calls it again while it returns `max` or more.
   */
  deleteBefore(before: number, max: number): Promise<number>;
}
