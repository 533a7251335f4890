import type { CircuitStateStore, Clock, JobStateStore, Logger } from '../../app/ports/index.js';
import type { JobState } from '../../domain/state.js';
import { LATE } from '../../domain/deadline.js';
import { withinDeadline } from './deadline.js';
import { odata, type Entity, type Tables } from './tables.js';
import type { WriteBehind } from './writeBehind.js';

const PARTITION = 'job';
/**
 * How long the states read from storage are reused, in ms: another instance's changes show after
 * about this. Reads are one query for every job, in the background (the check path never waits).
 */
const REFRESH_MS = 5_000;
/** How long the very first read waits for storage before states start from memory, in ms. */
const FIRST_LOAD_WAIT_MS = 2_000;

interface Cached {
  state?: JobState;
  circuit?: string;
  /** When it was last saved here (epoch ms): a read that began before is older. */
  savedAt?: number;
}

/**
 * Each job's state and circuit in partition `job` of the state table (row key = job name,
 * properties `state`, JSON, and `circuit`). Memory is authoritative in the process: saves are
 * written behind and never wait; loads serve memory, refreshed from storage every `REFRESH_MS` in
 * the background by one query (another instance's changes), except a row with changes of its own
 * not stored yet. With storage down the checks go on with the states in memory.
 */
export class JobStateTable implements JobStateStore, CircuitStateStore {
  /** Mutated in place: saving is on the check path. */
  readonly #cached = new Map<string, Cached>();
  #refreshedAt = 0;
  #refreshing: Promise<void> | undefined;
  /** The one wait for the first read, shared by every load that comes before it ends. */
  #firstWait: Promise<void> | undefined;

  constructor(
    private readonly tables: Tables,
    private readonly writer: WriteBehind,
    private readonly table: string,
    private readonly clock: Clock,
    private readonly logger: Logger,
  ) {}

  async loadCircuit(job: string): Promise<string | undefined> {
    await this.#fresh();
    return this.#cached.get(job)?.circuit;
  }

  async saveCircuit(job: string, circuit: string): Promise<void> {
    const entry = this.#entry(job);
    entry.circuit = circuit;
    entry.savedAt = this.clock.now();
    this.writer.setEntity(this.table, PARTITION, job, { circuit });
  }

  async loadState(job: string): Promise<JobState | undefined> {
    await this.#fresh();
    return this.#cached.get(job)?.state;
  }

  async loadStates(): Promise<ReadonlyMap<string, JobState>> {
    await this.#fresh();
    const states = new Map<string, JobState>();
    for (const [job, { state }] of this.#cached) if (state) states.set(job, state);
    return states;
  }

  async saveState(job: string, state: JobState): Promise<void> {
    const entry = this.#entry(job);
    entry.state = state;
    entry.savedAt = this.clock.now();
    this.writer.setEntity(this.table, PARTITION, job, { state: JSON.stringify(state) });
  }

  async forgetJob(job: string): Promise<void> {
    this.writer.discardEntity(this.table, PARTITION, job);
    this.#cached.delete(job);
    await this.tables.orUndefined(() => this.tables.table(this.table).deleteEntity(PARTITION, job));
  }

  #entry(job: string): Cached {
    let entry = this.#cached.get(job);
    if (!entry) this.#cached.set(job, (entry = {}));
    return entry;
  }

  /**
   * Loads before the first read has ended wait for it, together, for at most FIRST_LOAD_WAIT_MS in
   * all (at 1 000 jobs, one wait per load kept a thousand checks' records waiting and logging);
   * after that nothing waits, and states refresh in the background.
   */
  async #fresh(): Promise<void> {
    if (this.#refreshedAt === 0) {
      if (this.tables.outcomes.failure) return;
      const read = this.#refresh();
      this.#firstWait ??= withinDeadline(read, FIRST_LOAD_WAIT_MS).then((late) => {
        if (late === LATE) this.logger.warn({ waitedMs: FIRST_LOAD_WAIT_MS }, 'job states are slow to read; going on from memory');
      });
      await this.#firstWait;
    } else if (this.clock.now() - this.#refreshedAt > REFRESH_MS) void this.#refresh();
  }

  #refresh(): Promise<void> {
    const started = this.clock.now();
    this.#refreshing ??= this.tables
      .query(this.table, odata`PartitionKey eq ${PARTITION}`)
      .then((entities) => {
        for (const entity of entities) {
          const entry = this.#entry(entity.rowKey);
          if ((entry.savedAt ?? -1) >= started || this.writer.hasEntity(this.table, PARTITION, entity.rowKey)) continue;
          const stored = fromEntity(entity);
          if (stored.state) entry.state = stored.state;
          if (stored.circuit !== undefined) entry.circuit = stored.circuit;
        }
        this.#refreshedAt = started;
      })
      .catch((error: unknown) => {
        // Tried again after REFRESH_MS, not at every load.
        if (this.#refreshedAt !== 0) this.#refreshedAt = started;
        this.logger.warn({ err: error }, 'job states could not be read; going on from memory');
      })
      .finally(() => (this.#refreshing = undefined));
    return this.#refreshing;
  }
}

const fromEntity = (entity: Entity): Pick<Cached, 'state' | 'circuit'> => ({
  ...(typeof entity.state === 'string' ? { state: JSON.parse(entity.state) as JobState } : {}),
  ...(typeof entity.circuit === 'string' ? { circuit: entity.circuit } : {}),
});
