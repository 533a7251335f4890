import { openingAt, type MaintenanceWindow, type OpenWindow } from './maintenance.js';
import { nextOccurrence } from './schedule.js';

/**
 * The openings of `windows` (a job's `maintenance`) that are open at `from` or start before `to`
 * (epoch ms), by start, at most `limit` (default 5): what the status page lists.
 */
export function maintenanceOpenings(windows: readonly MaintenanceWindow[] | undefined, from: number, to: number, limit = 5): OpenWindow[] {
  const found: OpenWindow[] = [];
  for (const window of windows ?? []) {
    const current = openingAt(window, from);
    if (current) found.push(current);
    let at = from;
    for (let n = 0; n < limit; n++) {
      const start = nextOccurrence(window.schedule, at);
      if (start === undefined || start >= to) break;
      found.push({ name: window.name, start, end: start + window.durationMs, checks: window.checks });
      at = start;
    }
  }
  return found.sort((a, b) => a.start - b.start).slice(0, limit);
}
