import { z } from 'zod';
import type { Dependencies } from '../domain/dependencies.js';
import type { Issue } from '../domain/errors.js';
import { FOLLOW_UP_FIELDS, type FollowUps } from '../domain/followups.js';
import { linkProblems, type LinkedJob } from '../domain/jobGraph.js';

/** Names of other jobs (checked against the jobs there are, with the graph: `linkIssues`). */
const jobNames = (what: string) => z.array(z.string().min(1).max(63)).max(50).describe(what);

/** The fields of a job that link it to others (docs/configuration.md, Job fields). */
export const linkFields = {
  dependsOn: jobNames('Jobs this one needs: while one of them is not up, this job\'s scheduled runs are skipped (upstream-down) or run silently.').optional(),
  whenUpstreamDown: z.enum(['skip', 'silent']).optional().describe('While an upstream job is down: "skip" the runs (default) or run them "silent"ly, without alerts.'),
  onFailure: jobNames('Jobs run right after a run that is down or error (trigger followup).').optional(),
  onSuccess: jobNames('Jobs run right after a run that is up or degraded (trigger followup).').optional(),
  onCompletion: jobNames('Jobs run right after any run that is not skipped (trigger followup).').optional(),
};

type LinkInput = { readonly [K in keyof typeof linkFields]?: z.infer<(typeof linkFields)[K]> };

/** A job's links as domain values: each present only when the job names some. */
export function compileLinks(input: LinkInput): { dependencies?: Dependencies; followUps?: FollowUps } {
  const dependsOn = input.dependsOn ?? [];
  const followUps = { onFailure: input.onFailure ?? [], onSuccess: input.onSuccess ?? [], onCompletion: input.onCompletion ?? [] };
  return {
    ...(dependsOn.length > 0 ? { dependencies: { dependsOn, whenUpstreamDown: input.whenUpstreamDown ?? 'skip' } } : {}),
    ...(FOLLOW_UP_FIELDS.some((field) => followUps[field].length > 0) ? { followUps } : {}),
  };
}

/**
 * The graph's problems (`linkProblems`) as issues of the jobs file or of an API body: `where(job)`
 * gives the path prefix and message prefix of a job, e.g. `jobs[2].` and `jobs[2] "billing": `.
 */
export function linkIssues(jobs: readonly LinkedJob[], known: ReadonlySet<string>, where: (job: string) => { path: string; label: string } | undefined): Issue[] {
  return linkProblems(jobs, known).flatMap((problem) => {
    const at = where(problem.job);
    return at ? [{ path: `${at.path}${problem.field}`, message: `${at.label}${problem.field} ${problem.message}` }] : [];
  });
}
