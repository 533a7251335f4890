/**
 * Queue dispatch (docs/scaling.md): the message the dispatcher timer puts on `pulsecheck-checks` for
 * one occurrence, and when it should become visible.
 */

/** The queue the dispatcher fills in queue mode, and its dead-letter queue (the Functions host's `-poison` rule). */
export const CHECKS_QUEUE = 'pulsecheck-checks';
export const CHECKS_POISON_QUEUE = `${CHECKS_QUEUE}-poison`;

/**
 * How long before its instant a message becomes visible, in ms: enough for an idle instance to see
 * it (a poll every `maxPollingInterval`, 1 s in host.json) and to be waiting at the instant.
 */
export const VISIBLE_BEFORE_MS = 2_000;

/** One occurrence of a job, as queued: everything `runCheck` needs to run it and to tell a stale definition. */
export interface OccurrenceMessage {
  /** Format version: a message of another version is not run (it goes to the poison queue). */
  readonly v: 1;
  readonly job: string;
  /** The instant it is due, ISO 8601 (UTC). */
  readonly scheduledAt: string;
  /** `job@scheduledAt` (`runIdFor`): the key that makes a redelivery run and record once. */
  readonly runId: string;
  /** The job definition's revision when it was queued (`definitionRevision`). */
  readonly revision: string;
  /** A catch-up of an occurrence missed while nothing ran (`isPastDue`). */
  readonly catchUp?: boolean;
}

/**
 * The visibility delay of an occurrence's message, in whole seconds (what Put Message takes): it
 * becomes visible `VISIBLE_BEFORE_MS` before `scheduledAt`, never later than its instant. At once (0)
 * when that moment has passed; at most 7 days (the service's limit).
 */
export function visibilityDelaySeconds(scheduledAt: number, now: number): number {
  const seconds = Math.floor((scheduledAt - VISIBLE_BEFORE_MS - now) / 1_000);
  return Math.min(Math.max(0, seconds), 7 * 24 * 3_600);
}
