import { openingAt, type MaintenanceWindow, type OpenWindow } from './maintenance.js';
import { nextOccurrence } from './schedule.js';

/**
 * What the status page lists of `windows` (a job's `maintenance`): for each window, its opening
 * open at `from` (epoch ms) and its next one if it starts before `to`; by start, at most `limit`
 * (default 5). A nightly window is one line, not seven.
 */
export function maintenanceOpenings(windows: readonly MaintenanceWindow[] | undefined, from: number, to: number, limit = 5): OpenWindow[] {
  const found: OpenWindow[] = [];
  for (const window of windows ?? []) {
    const current = openingAt(window, from);
    if (current) found.push(current);
    const start = nextOccurrence(window.schedule, from);
    if (start !== undefined && start < to) found.push({ name: window.name, start, end: start + window.durationMs, checks: window.checks });
  }
  return found.sort((a, b) => a.start - b.start).slice(0, limit);
}
