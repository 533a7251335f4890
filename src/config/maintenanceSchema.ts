import { z } from 'zod';
import type { Issue } from '../domain/errors.js';
import type { Job } from '../domain/job.js';
import { windowSelects, type MaintenanceWindow } from '../domain/maintenance.js';
import { compileCron, parseDuration } from '../domain/schedule.js';

/** Longest window: 31 days. */
const MAX_DURATION_MS = 31 * 86_400_000;

/** `maintenance` of the jobs file: windows during which jobs' checks are paused or marked, and no alert is sent. */
export const maintenanceSchema = z
  .array(
    z.strictObject({
      name: z.string().min(1).max(100).describe('Unique name of the window, shown on the job while it is open.'),
      schedule: z.string().describe('NCRONTAB (6 fields with seconds first, or 5 fields): when each window opens.'),
      duration: z.string().describe('How long each window stays open, e.g. "30m", "2h" (at most 31d).'),
      timezone: z.string().optional().describe('IANA time zone of `schedule`. Default UTC.'),
      jobs: z.array(z.string().min(1)).min(1).optional().describe('Names of the jobs of this file it applies to. Exclusive with `tags`.'),
      tags: z.record(z.string(), z.string()).optional().describe('Applies to every job with all of these tags (API jobs included). Exclusive with `jobs`.'),
      checks: z.enum(['run', 'pause']).optional().describe('"run": checks run and are marked; "pause": their occurrences are skipped. Default "run".'),
    }),
  )
  .max(100)
  .describe('Maintenance windows: while one is open, its jobs are MAINTENANCE and send no alert (docs/alerting.md).');

export type MaintenanceInput = z.infer<typeof maintenanceSchema>;

/**
 * Compiles the windows, reporting every problem as `maintenance[i].<field> …`: a bad schedule,
 * duration or time zone, both or neither of `jobs` and `tags`, a repeated name, a job name the file
 * does not have (`jobNames`, compared ignoring case).
 */
export function compileMaintenance(input: MaintenanceInput, jobNames: ReadonlySet<string>): { windows: MaintenanceWindow[]; issues: Issue[] } {
  const issues: Issue[] = [];
  const windows: MaintenanceWindow[] = [];
  const known = new Set([...jobNames].map((name) => name.toLowerCase()));
  const seen = new Set<string>();
  input.forEach((raw, i) => {
    const before = issues.length;
    const problem = (field: string, message: string) => issues.push({ path: `maintenance[${i}].${field}`, message: `maintenance[${i}] "${raw.name}": ${field} ${message}` });
    if (seen.has(raw.name.toLowerCase())) problem('name', 'is already used by another window (names are unique, ignoring case)');
    seen.add(raw.name.toLowerCase());
    const timezone = raw.timezone ?? 'UTC';
    const zoneValid = isTimeZone(timezone);
    if (!zoneValid) problem('timezone', `"${timezone}" is not an IANA time zone (e.g. "Europe/Amsterdam", "UTC")`);
    const schedule = compileCron(raw.schedule, zoneValid ? timezone : 'UTC');
    if (typeof schedule === 'string') problem('schedule', schedule);
    const durationMs = parseDuration(raw.duration);
    if (durationMs === undefined || durationMs <= 0) problem('duration', `"${raw.duration}" is not a duration (expected a number and a unit, e.g. "30m", "2h")`);
    else if (durationMs > MAX_DURATION_MS) problem('duration', `"${raw.duration}" is longer than the maximum of 31d`);
    if (raw.jobs !== undefined && raw.tags !== undefined) problem('jobs', 'and tags are exclusive (set one of them)');
    else if (raw.jobs === undefined && raw.tags === undefined) problem('jobs', 'is required, or tags (the jobs the window applies to)');
    else if (raw.tags !== undefined && Object.keys(raw.tags).length === 0) problem('tags', 'must name at least one tag');
    raw.jobs?.forEach((name, j) => {
      if (!known.has(name.toLowerCase())) problem(`jobs[${j}]`, `"${name}" is not a job of the file`);
    });
    if (issues.length > before || typeof schedule === 'string' || durationMs === undefined) return;
    windows.push({
      name: raw.name,
      schedule,
      durationMs,
      checks: raw.checks ?? 'run',
      ...(raw.jobs ? { jobs: raw.jobs } : {}),
      ...(raw.tags ? { tags: raw.tags } : {}),
    });
  });
  return { windows, issues };
}

/** The job with the windows that select it (`Job.maintenance`); the same job when none does. */
export function withWindows(job: Job, windows: readonly MaintenanceWindow[]): Job {
  const mine = windows.filter((window) => windowSelects(window, job));
  return mine.length === 0 ? job : { ...job, maintenance: mine };
}

function isTimeZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat('en', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}
