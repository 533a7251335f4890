import type { Cursors } from '../../domain/plan.js';
import type { Run } from '../../domain/run.js';
import type { JobState } from '../../domain/state.js';

/** Circuit-breaker state per job: cockatiel's `CircuitBreakerPolicy.toJSON()`, serialised as JSON text. */
export interface CircuitStateStore {
  loadCircuit(job: string): Promise<string | undefined>;
  saveCircuit(job: string, state: string): Promise<void>;
}

/** What the dispatcher remembers between ticks. */
export interface DispatcherStateStore {
  loadCursors(): Promise<Cursors>;
  saveCursors(cursors: Cursors): Promise<void>;
  /** Epoch ms of the last completed tick, or `undefined` if none yet. */
  loadLastTick(): Promise<number | undefined>;
  saveLastTick(at: number): Promise<void>;
}

/** Per-job health state (UP/DOWN/UNKNOWN and counts). */
export interface JobStateStore {
  loadState(job: string): Promise<JobState | undefined>;
  saveState(job: string, state: JobState): Promise<void>;
}

/** Run history, newest first. */
export interface RunStore {
  recordRun(run: Run): Promise<void>;
  /** The newest `limit` runs of a job, newest first. */
  listRuns(job: string, limit: number): Promise<Run[]>;
}

/** Everything that must outlive an invocation. */
export interface StateStore extends CircuitStateStore, DispatcherStateStore, JobStateStore, RunStore {
  /** A short description for /api/health, e.g. `memory`. */
  readonly kind: string;
}
