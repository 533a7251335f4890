import type { AlertRun } from './event.js';
import { failed, type AlertRule } from './rule.js';

/**
 * n-of-m across locations: the latest run of each location (by location name) combined into one run
 * for `decideAlert`. It is failed when at least `rule.minLocations` locations' latest runs are failed
 * (its `location` then lists them, its reason is the first one's), otherwise up; `undefined` while no
 * location has a run that counts (all skipped). `latest` should hold only runs recent enough to
 * count; which are is the caller's choice (e.g. within two intervals of the job's schedule). Call it,
 * then `decideAlert`, once per run of any location: the thresholds then count those decisions.
 */
export function combineLocations(latest: ReadonlyMap<string, AlertRun>, rule: Pick<AlertRule, 'minLocations' | 'on'>): AlertRun | undefined {
  const runs = [...latest.values()].filter((run) => failed(run.status, rule.on) !== undefined);
  const newest = runs.sort((a, b) => Date.parse(b.startedAt) - Date.parse(a.startedAt))[0];
  if (!newest) return undefined;
  const failing = runs.filter((run) => failed(run.status, rule.on)).sort((a, b) => a.location.localeCompare(b.location));
  const [first] = failing;
  if (first && failing.length >= rule.minLocations) {
    return { ...first, startedAt: newest.startedAt, location: failing.map((run) => run.location).join(', ') };
  }
  const up = runs.filter((run) => !failed(run.status, rule.on)).map((run) => run.location);
  const { runId, job, startedAt, httpStatus } = newest;
  return { runId, job, startedAt, httpStatus, status: 'up', conditions: [], location: up.sort().join(', ') };
}
