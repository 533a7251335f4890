import type { Job } from '../domain/job.js';
import { visibilityDelaySeconds } from '../domain/occurrence.js';
import type { Occurrence } from '../domain/plan.js';
import { runIdFor } from '../domain/run.js';
import type { QueuedOccurrence } from './ports/index.js';
import { definitionRevision } from './revision.js';

/** The message of one planned occurrence and its visibility delay at `now` (epoch ms). */
export function queuedOccurrence(job: Job, occurrence: Occurrence, now: number): QueuedOccurrence {
  const { scheduledAt, catchUp } = occurrence;
  return {
    message: {
      v: 1,
      job: job.name,
      scheduledAt: new Date(scheduledAt).toISOString(),
      runId: runIdFor(job.name, scheduledAt),
      revision: definitionRevision(job),
      ...(catchUp ? { catchUp: true } : {}),
    },
    delaySeconds: visibilityDelaySeconds(scheduledAt, now),
  };
}
