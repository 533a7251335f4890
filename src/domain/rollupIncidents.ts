import type { IncidentPart, RunClass } from './rollup.js';

/** The last good or bad run of a job at a location, as the recorder saw it. */
export interface LastVerdict {
  /** Whether it was bad (`down` or `error`). */
  readonly bad: boolean;
  /** When it was scheduled (epoch ms). */
  readonly at: number;
}

/**
 * Longest gap between two runs counted into an incident, in ms (6 hours): a longer silence (the
 * app was stopped) is no evidence the target stayed down.
 */
export const MAX_INCIDENT_GAP_MS = 6 * 3_600_000;

/**
 * The incident part of a run (pure: `decide(prev, input) → { next, part }`). An incident is a
 * stretch of consecutive bad runs: it starts at a bad run that follows a good run (or none known),
 * and lasts until the first good run after it. Each run adds the time since the previous run while
 * an incident was going on, so an incident's duration is split over the buckets it spans.
 * Maintenance and unchecked (`skipped`) runs neither start nor end one. A run older than `prev` (out
 * of order) adds nothing and leaves `prev` as it was.
 */
export function trackIncident(prev: LastVerdict | undefined, cls: RunClass, at: number): { next: LastVerdict | undefined; part: IncidentPart } {
  const none = { incidents: 0, incidentMs: 0 };
  if (cls === 'maintenance' || (prev && at < prev.at)) return { next: prev, part: none };
  const bad = cls === 'down';
  const gap = prev ? Math.min(at - prev.at, MAX_INCIDENT_GAP_MS) : 0;
  const part = { incidents: bad && !prev?.bad ? 1 : 0, incidentMs: prev?.bad ? gap : 0 };
  return { next: { bad, at }, part };
}
