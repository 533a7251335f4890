import type { Run, Suppression } from './run.js';
import type { Health } from './state.js';

/**
 * What a job does while a job it depends on is down (docs/alerting.md, Dependencies):
 * `skip` records its scheduled occurrences as `skipped` (`upstream-down`); `silent` runs them and
 * marks each run `suppressed`, so that it alerts nobody.
 */
export type WhenUpstreamDown = 'skip' | 'silent';

/** A job's `dependsOn`: the jobs it needs, by name (each a job of the catalog). */
export interface Dependencies {
  readonly dependsOn: readonly string[];
  /** Default `skip`. */
  readonly whenUpstreamDown: WhenUpstreamDown;
}

/**
 * Healths that let dependents run. Everything else (DOWN, and any state that is not up, such as a
 * maintenance window) takes them down. UNKNOWN (never judged: new, disabled, only skipped) does
 * not, so that a disabled upstream cannot silence its dependents forever.
 */
const LETS_DEPENDENTS_RUN: ReadonlySet<string> = new Set<string>(['UP', 'UNKNOWN', 'DEGRADED']);

/** Whether a job in health `health` takes its dependents down. */
export const isUpstreamDown = (health: Health | undefined): boolean => health !== undefined && !LETS_DEPENDENTS_RUN.has(health);

/** The upstream decision for one scheduled occurrence. */
export type UpstreamDecision =
  | { readonly action: 'run' }
  | { readonly action: 'skip'; readonly upstream: readonly string[]; readonly message: string }
  | { readonly action: 'silent'; readonly suppressed: Suppression };

const RUN: UpstreamDecision = { action: 'run' };

/**
 * Decides whether a dependent's scheduled occurrence runs: the down jobs among its upstream jobs,
 * followed transitively (a job skipped because of its own upstream takes its dependents down too),
 * stopping at the first down job on each path. `dependsOnOf` gives a job's `dependsOn` (unknown
 * names: none); `healthOf` a job's current health (`undefined`: never recorded). Cycles are config
 * errors, and are still walked safely.
 */
export function decideUpstream(
  job: string,
  dependencies: Dependencies | undefined,
  dependsOnOf: (name: string) => readonly string[] | undefined,
  healthOf: (name: string) => Health | undefined,
): UpstreamDecision {
  if (!dependencies || dependencies.dependsOn.length === 0) return RUN;
  const down = downUpstream(job, dependencies.dependsOn, dependsOnOf, healthOf);
  if (down.length === 0) return RUN;
  if (dependencies.whenUpstreamDown === 'silent') return { action: 'silent', suppressed: { reason: 'upstream-down', upstream: down } };
  const names = down.map((name) => `"${name}"`).join(', ');
  return { action: 'skip', upstream: down, message: `upstream job${down.length > 1 ? 's' : ''} ${names} ${down.length > 1 ? 'are' : 'is'} down` };
}

/** The down jobs `job` depends on, directly or through upstream jobs that are up, in the order met. */
function downUpstream(
  job: string,
  direct: readonly string[],
  dependsOnOf: (name: string) => readonly string[] | undefined,
  healthOf: (name: string) => Health | undefined,
): string[] {
  const down: string[] = [];
  const seen = new Set<string>([job]);
  const visit = (names: readonly string[]) => {
    for (const name of names) {
      if (seen.has(name)) continue;
      seen.add(name);
      if (isUpstreamDown(healthOf(name))) down.push(name);
      else visit(dependsOnOf(name) ?? []);
    }
  };
  visit(direct);
  return down;
}

/**
 * The jobs `upstream` takes down while it is down: those that depend on it, directly or through
 * others, sorted by name. `jobs` gives each job's `dependsOn`.
 */
export function dependentsOf(upstream: string, jobs: ReadonlyArray<{ readonly name: string; readonly dependencies?: Dependencies | undefined }>): string[] {
  const dependents = new Map<string, string[]>();
  for (const job of jobs) {
    for (const name of job.dependencies?.dependsOn ?? []) dependents.set(name, [...(dependents.get(name) ?? []), job.name]);
  }
  const found = new Set<string>();
  const visit = (name: string) => {
    for (const dependent of dependents.get(name) ?? []) {
      if (dependent === upstream || found.has(dependent)) continue;
      found.add(dependent);
      visit(dependent);
    }
  };
  visit(upstream);
  return [...found].sort();
}

/**
 * Whether a run must not alert because an upstream job was down: it was skipped for it
 * (`upstream-down`) or it ran silently (`suppressed`). The alerting decision skips such runs.
 */
export const silencedByUpstream = (run: Pick<Run, 'status' | 'error' | 'suppressed'>): boolean =>
  run.suppressed !== undefined || (run.status === 'skipped' && run.error?.kind === 'upstream-down');
