import type { BulkheadPolicy } from 'cockatiel';
import { PRIORITIES, givesWay, isShed, rankOf, type Priority, type Waiting } from '../domain/priority.js';
import type { Clock } from './ports/index.js';

/** What became of a check that asked for a slot. */
export type Admission<T> =
  | { readonly admitted: true; readonly value: T }
  /** `full`: the waiting list was full (or it gave way to a higher priority); `late`: shed for lateness. */
  | { readonly admitted: false; readonly reason: 'full' | 'late' };

interface Waiter {
  readonly ticket: Waiting;
  /** Arrival order: within a priority, first come first served. */
  readonly seq: number;
  start(): void;
  refuse(reason: 'full' | 'late'): void;
}

/** A first-in first-out list that does not copy on `shift` (Array#shift is linear). */
class Fifo<T> {
  #items: (T | undefined)[] = [];
  #head = 0;
  get size(): number {
    return this.#items.length - this.#head;
  }
  peek(): T | undefined {
    return this.#items[this.#head];
  }
  push(item: T): void {
    this.#items.push(item);
  }
  shift(): T | undefined {
    const item = this.#items[this.#head];
    this.#items[this.#head++] = undefined;
    if (this.#head > 1_024 && this.#head * 2 > this.#items.length) {
      this.#items = this.#items.slice(this.#head);
      this.#head = 0;
    }
    return item;
  }
}

/** One priority's waiters: those lateness may shed apart from those it may not (manual runs), each in arrival order. */
interface Lists {
  readonly sheddable: Fifo<Waiter>;
  readonly kept: Fifo<Waiter>;
}

/**
 * The priority-ordered admission queue in front of a cockatiel bulkhead (issue 13, item 4).
 *
 * Why not cockatiel's own queue: it is first come first served. cockatiel still bounds the checks
 * running at once, but a check is handed to it only when it has a free execution slot (it takes the
 * slot synchronously, so nothing ever waits in its queue); what waits, waits here, ordered by
 * priority then arrival. The bulkhead's queue size is this list's bound. A slot freed by a check that
 * ends goes to the highest priority waiting; waiting checks that lateness sheds (`domain/priority.ts`)
 * are refused first. Refused checks are not errors: the runner records them as `skipped` (`overloaded`).
 */
export class PriorityAdmission {
  readonly #bulkhead: BulkheadPolicy;
  readonly #clock: Clock;
  readonly #shedAfterMs: number;
  readonly #capacity: number;
  readonly #lists: readonly Lists[] = PRIORITIES.map(() => ({ sheddable: new Fifo<Waiter>(), kept: new Fifo<Waiter>() }));
  #waiting = 0;
  #seq = 0;

  /**
   * @param bulkhead bounds the checks running at once; its queue size bounds the checks waiting here.
   * @param shedAfterMs the base lateness bound, in ms (`PULSECHECK_SHED_AFTER_MS`).
   */
  constructor(bulkhead: BulkheadPolicy, clock: Clock, shedAfterMs: number) {
    this.#bulkhead = bulkhead;
    this.#clock = clock;
    this.#shedAfterMs = shedAfterMs;
    this.#capacity = bulkhead.queueSlots;
  }

  /** Checks waiting for a slot. */
  get waiting(): number {
    return this.#waiting;
  }

  /** Runs `fn` in the bulkhead when its turn comes, or says why it will not run. */
  admit<T>(ticket: Waiting, fn: () => Promise<T>): Promise<Admission<T>> {
    if (this.#waiting === 0 && this.#bulkhead.executionSlots > 0) return this.#start(fn);
    return new Promise<Admission<T>>((resolve, reject) => {
      const waiter: Waiter = {
        ticket,
        seq: this.#seq++,
        start: () => void this.#start(fn).then(resolve, reject),
        refuse: (reason) => resolve({ admitted: false, reason }),
      };
      this.#shedLate();
      if (this.#waiting >= this.#capacity && !this.#makeRoomFor(ticket.priority)) {
        resolve({ admitted: false, reason: 'full' });
        return;
      }
      this.#listOf(ticket).push(waiter);
      this.#waiting++;
      this.#pump();
    });
  }

  #start<T>(fn: () => Promise<T>): Promise<Admission<T>> {
    // A slot is free: cockatiel takes it before `execute` returns, so the check never queues there.
    // The slot is released once the check settles: the next waiter gets it (one reaction for both).
    return this.#bulkhead.execute(fn).then(
      (value) => {
        this.#pump();
        return { admitted: true, value };
      },
      (error: unknown) => {
        this.#pump();
        throw error;
      },
    );
  }

  /** Hands free slots to the highest priorities waiting, after shedding the late ones. */
  #pump(): void {
    this.#shedLate();
    while (this.#waiting > 0 && this.#bulkhead.executionSlots > 0) this.#take()?.start();
  }

  /** The next waiter: highest priority, then first come. */
  #take(): Waiter | undefined {
    for (const lists of this.#lists) {
      const a = lists.sheddable.peek();
      const b = lists.kept.peek();
      if (!a && !b) continue;
      this.#waiting--;
      return a && (!b || a.seq < b.seq) ? lists.sheddable.shift() : lists.kept.shift();
    }
    return undefined;
  }

  /** Refuses the waiters lateness sheds, oldest first (arrival order is about lateness order). */
  #shedLate(): void {
    const now = this.#clock.now();
    for (const { sheddable } of this.#lists) {
      for (let head = sheddable.peek(); head && isShed(head.ticket, now, this.#shedAfterMs); head = sheddable.peek()) {
        sheddable.shift();
        this.#waiting--;
        head.refuse('late');
      }
    }
  }

  /** Drops the oldest waiter of the lowest priority waiting if it is lower than `priority`; whether it did. */
  #makeRoomFor(priority: Priority): boolean {
    const lowest = [...this.#lists.keys()].reverse().find((rank) => this.#lists[rank]!.sheddable.size + this.#lists[rank]!.kept.size > 0);
    if (lowest === undefined || givesWay(priority, PRIORITIES[lowest]) === 'newcomer') return false;
    const lists = this.#lists[lowest]!;
    const victim = lists.sheddable.size > 0 ? lists.sheddable.shift() : lists.kept.shift();
    this.#waiting--;
    victim?.refuse('full');
    return true;
  }

  #listOf(ticket: Waiting): Fifo<Waiter> {
    const lists = this.#lists[rankOf(ticket.priority)]!;
    return ticket.sheddable ? lists.sheddable : lists.kept;
  }
}
