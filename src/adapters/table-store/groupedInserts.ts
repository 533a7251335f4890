import { isPermanent, statusOf } from './entities.js';
import type { Tables } from './tables.js';

/** How long the first insert of a group waits for others, in ms: bounded, and short next to a message's 2 s head start. */
const LINGER_MS = 5;
/** Actions of one entity-group transaction (the service's limit). */
const MAX_GROUP = 100;

/** An entity to insert: its keys and properties. */
export type NewEntity = { readonly partitionKey: string; readonly rowKey: string } & Readonly<Record<string, unknown>>;

interface Pending {
  readonly entity: NewEntity;
  readonly resolve: (inserted: boolean) => void;
  readonly reject: (error: unknown) => void;
}

/**
 * Inserts into one table coalesced into entity-group transactions: the inserts asked for within
 * `LINGER_MS` of the first (the claims of one received batch of queue messages arrive within one
 * event-loop turn or a few) are grouped by partition and sent as one `$batch` of creates per
 * partition (at most 100 each; a group that fills is sent at once). Each insert resolves `true`
 * when its entity was inserted, `false` when it already existed (409), as a single insert would.
 *
 * A transaction succeeds or fails whole: when one entity exists (a redelivery, a duplicate put) or
 * one is rejected (a permanent 4xx), that group's entities are inserted one by one, so each gets its
 * own answer, still a conditional write decided by the service. A second insert of a row key already
 * in the group (a transaction may not touch one entity twice) is sent on its own after the group. A
 * failure of the service (5xx, timeout, throttling) fails the whole group: every caller sees it, as
 * each would have on its own, and one-by-one inserts would only add load to a service in trouble.
 */
export class GroupedInserts {
  readonly #groups = new Map<string, Pending[]>();
  #timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly tables: Tables,
    private readonly table: string,
  ) {}

  /** Inserts `entity`: `true` when inserted, `false` when an entity with its keys exists. */
  insert(entity: NewEntity): Promise<boolean> {
    return new Promise<boolean>((resolve, reject) => {
      const group = this.#groups.get(entity.partitionKey);
      if (group) group.push({ entity, resolve, reject });
      else this.#groups.set(entity.partitionKey, [{ entity, resolve, reject }]);
      if (group && group.length >= MAX_GROUP) {
        this.#groups.delete(entity.partitionKey);
        void this.#send(group);
      }
      if (this.#timer === undefined) this.#timer = setTimeout(() => this.#flush(), LINGER_MS);
    });
  }

  #flush(): void {
    this.#timer = undefined;
    const groups = [...this.#groups.values()];
    this.#groups.clear();
    for (const group of groups) void this.#send(group);
  }

  /** One partition's inserts: one transaction, then the rare paths. Never rejects (each caller gets its answer). */
  async #send(pending: readonly Pending[]): Promise<void> {
    const seen = new Set<string>();
    const group: Pending[] = [];
    const repeats: Pending[] = [];
    for (const item of pending) {
      if (seen.has(item.entity.rowKey)) repeats.push(item);
      else {
        seen.add(item.entity.rowKey);
        group.push(item);
      }
    }
    try {
      if (group.length === 1) await this.#one(group[0] as Pending);
      else {
        try {
          await this.tables.submit(this.table, group.map(({ entity }) => ['create', entity]));
          for (const { resolve } of group) resolve(true);
        } catch (error) {
          if (statusOf(error) !== 409 && !isPermanent(error)) {
            for (const { reject } of group) reject(error);
          } else {
            await Promise.all(group.map((item) => this.#one(item)));
          }
        }
      }
    } finally {
      await Promise.all(repeats.map((item) => this.#one(item)));
    }
  }

  /** One insert on its own: `true`, `false` on 409, or the caller's error. */
  async #one({ entity, resolve, reject }: Pending): Promise<void> {
    try {
      await this.tables.call(() => this.tables.table(this.table).createEntity({ ...entity }));
      resolve(true);
    } catch (error) {
      if (statusOf(error) === 409) resolve(false);
      else reject(error);
    }
  }
}
