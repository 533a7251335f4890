/**
 * Job priorities (issue 13, item 4): which due checks start first when an instance has more of them
 * than it can run at once, and which are given up (`skipped`, `overloaded`) when they wait too long.
 * Pure: `now` is an argument.
 */

/** Highest first. */
export const PRIORITIES = ['critical', 'high', 'normal', 'low', 'background'] as const;
export type Priority = (typeof PRIORITIES)[number];

/** A job that does not say. */
export const DEFAULT_PRIORITY: Priority = 'normal';

/** The base lateness bound when `PULSECHECK_SHED_AFTER_MS` is not set: 10 s, one default tick period. */
export const DEFAULT_SHED_AFTER_MS = 10_000;

const RANK: Readonly<Record<Priority, number>> = { critical: 0, high: 1, normal: 2, low: 3, background: 4 };

/** 0 for `critical` … 4 for `background`: lower starts first. */
export const rankOf = (priority: Priority): number => RANK[priority];

/** How many base bounds a waiting check of each priority may be late before it is shed; absent: never. */
const SHED_AFTER: Readonly<Partial<Record<Priority, number>>> = { background: 1, low: 2 };

/**
 * How late (now − scheduledAt, in ms) a waiting check of `priority` may become before it is shed:
 * `background` after `baseMs`, `low` after twice that (so background goes first), `undefined` for
 * `normal`, `high` and `critical`, which are never shed for lateness.
 */
export function shedAfterMs(priority: Priority, baseMs: number): number | undefined {
  const factor = SHED_AFTER[priority];
  return factor === undefined ? undefined : factor * baseMs;
}

/** A check waiting for a free slot. */
export interface Waiting {
  readonly priority: Priority;
  /** Epoch ms it was due. */
  readonly scheduledAt: number;
  /** Whether lateness may shed it: false for a run a person asked for (`POST /run`), which waits its turn. */
  readonly sheddable: boolean;
}

/** Whether a waiting check is shed at `now` (epoch ms) with the base bound `baseMs`. */
export function isShed(waiting: Waiting, now: number, baseMs: number): boolean {
  if (!waiting.sheddable) return false;
  const bound = shedAfterMs(waiting.priority, baseMs);
  return bound !== undefined && now - waiting.scheduledAt > bound;
}

/**
 * When the waiting list is full and another check arrives: which one gives way. The lowest priority
 * waiting (`lowest`) is dropped for a strictly higher newcomer; otherwise the newcomer is refused.
 * So a check is only ever dropped for a higher one: `critical` never for a lower one.
 */
export function givesWay(newcomer: Priority, lowest: Priority | undefined): 'newcomer' | 'lowest' {
  return lowest !== undefined && rankOf(lowest) > rankOf(newcomer) ? 'lowest' : 'newcomer';
}
