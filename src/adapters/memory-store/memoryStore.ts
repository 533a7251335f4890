import type { StateStore } from '../../app/ports/index.js';
import type { Cursors } from '../../domain/plan.js';
import type { Run } from '../../domain/run.js';
import type { JobState } from '../../domain/state.js';

export interface MemoryStoreOptions {
  /** Runs kept per job, newest first. Default 1 000. */
  readonly maxRunsPerJob?: number;
}

/**
 * Everything in process memory: the default until Table Storage is configured, and the fake for
 * tests. Lost on restart. Values are copied in and out, as a real store would.
 */
export class MemoryStore implements StateStore {
  readonly kind = 'memory';
  readonly #circuits = new Map<string, string>();
  readonly #states = new Map<string, JobState>();
  readonly #runs = new Map<string, Run[]>();
  readonly #maxRunsPerJob: number;
  #cursors: Cursors = {};
  #lastTick: number | undefined;

  constructor(options: MemoryStoreOptions = {}) {
    this.#maxRunsPerJob = options.maxRunsPerJob ?? 1_000;
  }

  async loadCircuit(job: string): Promise<unknown> {
    const json = this.#circuits.get(job);
    return json === undefined ? undefined : JSON.parse(json);
  }

  async saveCircuit(job: string, state: unknown): Promise<void> {
    this.#circuits.set(job, JSON.stringify(state));
  }

  async loadCursors(): Promise<Cursors> {
    return { ...this.#cursors };
  }

  async saveCursors(cursors: Cursors): Promise<void> {
    this.#cursors = { ...cursors };
  }

  async loadLastTick(): Promise<number | undefined> {
    return this.#lastTick;
  }

  async saveLastTick(at: number): Promise<void> {
    this.#lastTick = at;
  }

  async loadState(job: string): Promise<JobState | undefined> {
    return this.#states.get(job);
  }

  async saveState(job: string, state: JobState): Promise<void> {
    this.#states.set(job, state);
  }

  async recordRun(run: Run): Promise<void> {
    const runs = this.#runs.get(run.job) ?? [];
    if (runs.some((r) => r.runId === run.runId)) return; // a redelivered occurrence is recorded once
    runs.unshift(run);
    if (runs.length > this.#maxRunsPerJob) runs.length = this.#maxRunsPerJob;
    this.#runs.set(run.job, runs);
  }

  async listRuns(job: string, limit: number): Promise<Run[]> {
    return (this.#runs.get(job) ?? []).slice(0, limit);
  }
}
