import type { DispatcherStateStore, Logger } from '../../app/ports/index.js';
import type { Cursors } from '../../domain/plan.js';
import { LATE } from '../../domain/deadline.js';
import { withinDeadline } from './deadline.js';
import { pack, unpack } from './entities.js';
import { odata, type Tables } from './tables.js';
import type { WriteBehind } from './writeBehind.js';

const PARTITION = 'dispatcher';
/** A row of this location: `<name>|<location>` (issue 13, item 5); a bare `<name>` is an earlier version's, read as this location's. */
const located = (name: string, location: string): string => `${name}|${encodeURIComponent(location)}`;
/** How long the first load waits for storage before the dispatcher goes on from memory, in ms. */
const FIRST_LOAD_WAIT_MS = 2_000;

/**
 * The dispatcher's cursors and last tick, in partition `dispatcher` of the state table (rows
 * `cursors|<location>`, packed JSON, and `lastTick|<location>`: each region's timer plans on its own).
 * Rows `cursors` and `lastTick` without a location, written before locations were kept, are read as
 * this location's until it writes its own. Memory is authoritative in the process: saves never wait
 * (they are written behind, only the latest value; cursors at once, without lingering, since they
 * mark the occurrences in flight), and loads read storage until one read succeeds,
 * then serve memory. With storage down at start, the dispatcher goes on from what it has (no
 * cursors: no catch-up) after at most `FIRST_LOAD_WAIT_MS`.
 *
 * Another instance's changes are not seen after the first load: the timer is a singleton, and an
 * instance that takes it over starts with a load of its own.
 */
export class DispatcherTable implements DispatcherStateStore {
  #cursors: Cursors | undefined;
  #lastTick: number | undefined;
  #loaded = false;
  #loading: Promise<void> | undefined;

  constructor(
    private readonly tables: Tables,
    private readonly writer: WriteBehind,
    private readonly table: string,
    private readonly logger: Logger,
    private readonly location: string,
  ) {}

  async loadCursors(): Promise<Cursors> {
    await this.#load();
    return { ...this.#cursors };
  }

  async saveCursors(cursors: Cursors): Promise<void> {
    this.#cursors = { ...cursors };
    // At once: the cursors hold the occurrences in flight, which a crash must not lose.
    this.writer.setEntity(this.table, PARTITION, located('cursors', this.location), pack(cursors), true);
  }

  async loadLastTick(): Promise<number | undefined> {
    await this.#load();
    return this.#lastTick;
  }

  async saveLastTick(at: number): Promise<void> {
    this.#lastTick = at;
    this.writer.setEntity(this.table, PARTITION, located('lastTick', this.location), { at: String(at) });
  }

  /** Reads both rows once; storage known to be down, or slow, leaves memory as it is. */
  async #load(): Promise<void> {
    if (this.#loaded || this.tables.outcomes.failure) return;
    this.#loading ??= this.tables
      .query(this.table, odata`PartitionKey eq ${PARTITION}`)
      .then((entities) => {
        const row = (name: string) => entities.find((e) => e.rowKey === located(name, this.location)) ?? entities.find((e) => e.rowKey === name);
        const cursors = row('cursors');
        const lastTick = row('lastTick');
        // A value saved here meanwhile is newer than the stored one.
        if (cursors) this.#cursors ??= unpack<Cursors>(cursors);
        if (lastTick) this.#lastTick ??= Number(lastTick.at);
        this.#loaded = true;
      })
      .catch((error: unknown) => this.logger.warn({ err: error }, 'dispatcher state could not be read; going on from memory'))
      .finally(() => (this.#loading = undefined));
    if ((await withinDeadline(this.#loading, FIRST_LOAD_WAIT_MS)) === LATE) {
      this.logger.warn({ waitedMs: FIRST_LOAD_WAIT_MS }, 'dispatcher state is slow to read; going on from memory');
    }
  }
}
