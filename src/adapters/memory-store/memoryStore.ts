import type { StateStore } from '../../app/ports/index.js';
import type { Cursors } from '../../domain/plan.js';
import type { Run } from '../../domain/run.js';
import type { JobState } from '../../domain/state.js';

export interface MemoryStoreOptions {
  /** Runs kept per job, newest first. Default 100 (memory is bounded: 1 000 jobs × 100 runs). */
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
  readonly #runs = new Map<string, { list: Run[]; ids: Set<string> }>();
  readonly #maxRunsPerJob: number;
  #cursors: Cursors = {};
  #lastTick: number | undefined;

  constructor(options: MemoryStoreOptions = {}) {
    this.#maxRunsPerJob = options.maxRunsPerJob ?? 100;
  }

  async loadCircuit(job: string): Promise<string | undefined> {
    return this.#circuits.get(job);
  }

  async saveCircuit(job: string, state: string): Promise<void> {
    this.#circuits.set(job, state);
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
    let runs = this.#runs.get(run.job);
    if (!runs) this.#runs.set(run.job, (runs = { list: [], ids: new Set() }));
    if (runs.ids.has(run.runId)) return; // a redelivered occurrence is recorded once
    runs.list.push(run); // oldest first; trimmed in batches so recording stays O(1)
    runs.ids.add(run.runId);
    if (runs.list.length >= this.#maxRunsPerJob + 64) {
      for (const dropped of runs.list.splice(0, runs.list.length - this.#maxRunsPerJob)) runs.ids.delete(dropped.runId);
    }
  }

  async listRuns(job: string, limit: number): Promise<Run[]> {
    const list = this.#runs.get(job)?.list ?? [];
    return list.slice(Math.max(0, list.length - Math.min(limit, this.#maxRunsPerJob))).reverse();
  }
}
