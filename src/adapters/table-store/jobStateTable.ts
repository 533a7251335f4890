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

/** The location of a row written before locations were kept (row key = job name): read as this instance's. */
const LEGACY = '';
/** `<job>|<location>`: job names have no `|` (JOB_NAME_PATTERN), and `|` sorts after each of their characters. */
const rowKeyOf = (job: string, location: string): string => (location === LEGACY ? job : `${job}|${encodeURIComponent(location)}`);
function parseRowKey(rowKey: string): { job: string; location: string } {
  const bar = rowKey.indexOf('|');
  return bar < 0 ? { job: rowKey, location: LEGACY } : { job: rowKey.slice(0, bar), location: decodeURIComponent(rowKey.slice(bar + 1)) };
}

/**
 * Each job's state and circuit per location in partition `job` of the state table (row key
 * `<job>|<location>`, properties `state`, JSON, and `circuit`): regions sharing one store keep their
 * own (issue 13, item 5). A row keyed by the bare job name was written before locations were kept:
 * it is read as this location's until this location writes its own, and removed with the job.
 * Memory is authoritative in the process: saves are written behind and never wait; loads serve
 * memory, refreshed from storage every `REFRESH_MS` in the background by one query (another
 * instance's and other locations' changes), except a row with changes of its own not stored yet.
 * With storage down the checks go on with the states in memory.
 */
export class JobStateTable implements JobStateStore, CircuitStateStore {
  /** Job → location (LEGACY for a row without one) → its row. Mutated in place: saving is on the check path. */
  readonly #cached = new Map<string, Map<string, Cached>>();
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
    private readonly location: string,
  ) {}

  async loadCircuit(job: string): Promise<string | undefined> {
    await this.#fresh();
    return this.#own(job, 'circuit');
  }

  async saveCircuit(job: string, circuit: string): Promise<void> {
    const entry = this.#entry(job, this.location);
    entry.circuit = circuit;
    entry.savedAt = this.clock.now();
    this.writer.setEntity(this.table, PARTITION, rowKeyOf(job, this.location), { circuit });
  }

  async loadState(job: string): Promise<JobState | undefined> {
    await this.#fresh();
    return this.#own(job, 'state');
  }

  async loadStates(): Promise<ReadonlyMap<string, JobState>> {
    await this.#fresh();
    const states = new Map<string, JobState>();
    for (const job of this.#cached.keys()) {
      const state = this.#own(job, 'state');
      if (state) states.set(job, state);
    }
    return states;
  }

  async loadLocations(job: string): Promise<ReadonlyMap<string, JobState>> {
    await this.#fresh();
    const states = new Map<string, JobState>();
    for (const [location, { state }] of this.#cached.get(job) ?? []) if (state && location !== LEGACY) states.set(location, state);
    const own = this.#own(job, 'state');
    if (own) states.set(this.location, own);
    return states;
  }

  async saveState(job: string, state: JobState): Promise<void> {
    const entry = this.#entry(job, this.location);
    entry.state = state;
    entry.savedAt = this.clock.now();
    this.writer.setEntity(this.table, PARTITION, rowKeyOf(job, this.location), { state: JSON.stringify(state) });
  }

  async forgetJob(job: string): Promise<void> {
    const known = new Set(this.#cached.get(job)?.keys());
    this.#cached.delete(job);
    const { tables } = this;
    // Rows of locations not read yet too: `<job>|…` is the range from `<job>|` to `<job>}`.
    const stored = await tables.orUndefined(() => tables.query(this.table, odata`PartitionKey eq ${PARTITION} and RowKey ge ${`${job}|`} and RowKey lt ${`${job}}`}`));
    for (const entity of stored ?? []) known.add(parseRowKey(entity.rowKey).location);
    known.add(LEGACY);
    known.add(this.location);
    await Promise.all(
      [...known].map((location) => {
        const rowKey = rowKeyOf(job, location);
        this.writer.discardEntity(this.table, PARTITION, rowKey);
        return tables.orUndefined(() => tables.table(this.table).deleteEntity(PARTITION, rowKey));
      }),
    );
  }

  /** This location's value of a field: its own row's, else the row written before locations were kept. */
  #own<K extends 'state' | 'circuit'>(job: string, field: K): Cached[K] | undefined {
    const rows = this.#cached.get(job);
    return rows?.get(this.location)?.[field] ?? rows?.get(LEGACY)?.[field];
  }

  #entry(job: string, location: string): Cached {
    let rows = this.#cached.get(job);
    if (!rows) this.#cached.set(job, (rows = new Map()));
    let entry = rows.get(location);
    if (!entry) rows.set(location, (entry = {}));
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
          const { job, location } = parseRowKey(entity.rowKey);
          const entry = this.#entry(job, location);
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
