import type { Dependencies } from './dependencies.js';
import { FOLLOW_UP_FIELDS, type FollowUps } from './followups.js';

/** What the graph check needs of a job: its name and the jobs it names. */
export interface LinkedJob {
  readonly name: string;
  readonly dependencies?: Dependencies | undefined;
  readonly followUps?: FollowUps | undefined;
}

/** A problem of one job's links: `field` is e.g. `dependsOn[0]` or `onFailure`. */
export interface LinkProblem {
  readonly job: string;
  readonly field: string;
  readonly message: string;
}

/**
 * The problems of the links between jobs: a name in `dependsOn`, `onFailure`, `onSuccess` or
 * `onCompletion` that is not a job (`known`: every job name, case as written), and cycles, among
 * `dependsOn` and among the follow-ups, each reported once on the job it starts from (the first
 * in `jobs`' order), naming the cycle: `a → b → a`.
 */
export function linkProblems(jobs: readonly LinkedJob[], known: ReadonlySet<string>): LinkProblem[] {
  const problems: LinkProblem[] = [];
  const lower = new Map([...known].map((name) => [name.toLowerCase(), name]));
  const unknown = (job: string, field: string, name: string) => {
    if (known.has(name)) return;
    const like = lower.get(name.toLowerCase());
    problems.push({ job, field, message: `"${name}" is not a job${like ? ` (did you mean "${like}"? names are compared exactly)` : ''}` });
  };
  for (const job of jobs) {
    job.dependencies?.dependsOn.forEach((name, i) => unknown(job.name, `dependsOn[${i}]`, name));
    for (const field of FOLLOW_UP_FIELDS) job.followUps?.[field].forEach((name, i) => unknown(job.name, `${field}[${i}]`, name));
  }
  const dependsOn = new Map(jobs.map((job) => [job.name, job.dependencies?.dependsOn ?? []]));
  const followUps = new Map(jobs.map((job) => [job.name, FOLLOW_UP_FIELDS.flatMap((field) => job.followUps?.[field] ?? [])]));
  for (const cycle of cycles(jobs.map((job) => job.name), dependsOn)) {
    problems.push({ job: cycle[0] as string, field: 'dependsOn', message: `forms a cycle: ${cycle.join(' → ')}` });
  }
  const byName = new Map(jobs.map((job) => [job.name, job]));
  for (const cycle of cycles(jobs.map((job) => job.name), followUps)) {
    const [from = '', to = ''] = cycle;
    // The field of the cycle's first step, e.g. `onFailure`.
    const field = FOLLOW_UP_FIELDS.find((f) => byName.get(from)?.followUps?.[f].includes(to)) ?? 'onCompletion';
    problems.push({ job: from, field, message: `forms a cycle of follow-ups: ${cycle.join(' → ')}` });
  }
  return problems;
}

/**
 * Each cycle of the graph once, as the path from its first node (in `order`) back to it. Depth-first
 * search with colours: linear in nodes and edges.
 */
function cycles(order: readonly string[], edges: ReadonlyMap<string, readonly string[]>): string[][] {
  const found: string[][] = [];
  const state = new Map<string, 'open' | 'done'>();
  const path: string[] = [];
  const visit = (node: string) => {
    state.set(node, 'open');
    path.push(node);
    for (const next of edges.get(node) ?? []) {
      if (!edges.has(next)) continue;
      const seen = state.get(next);
      if (seen === 'open') found.push([...path.slice(path.indexOf(next)), next]);
      else if (seen === undefined) visit(next);
    }
    path.pop();
    state.set(node, 'done');
  };
  for (const node of order) if (!state.has(node)) visit(node);
  return found;
}
