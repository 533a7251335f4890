import type { AlertRecord, AlertStateStore, DeliveryFailure, NewDelivery, OutboxEntry, OutboxStore } from '../../app/ports/alerts.js';

const keyOf = (job: string, rule: number) => `${job}\n${rule}`;

/**
 * Alert state and the outbox in process memory (the memory store's, and the fake's). Versions are a
 * counter, so conditional writes behave as the Table store's ETags do; rows are copied in and out.
 */
export class MemoryAlerts implements AlertStateStore, OutboxStore {
  readonly #alerts = new Map<string, AlertRecord>();
  readonly #outbox = new Map<string, OutboxEntry>();
  #version = 0;

  async loadAlert(job: string, rule: number): Promise<AlertRecord | undefined> {
    const found = this.#alerts.get(keyOf(job, rule));
    return found && structuredClone(found);
  }

  async commitAlert(next: Omit<AlertRecord, 'version'>, expected: string | null, deliveries: readonly NewDelivery[]): Promise<boolean> {
    const key = keyOf(next.job, next.rule);
    const current = this.#alerts.get(key);
    if ((current?.version ?? null) !== expected) return false;
    if (deliveries.some((d) => this.#outbox.has(d.id))) return false;
    this.#alerts.set(key, { ...structuredClone(next), version: this.#next() });
    for (const delivery of deliveries) {
      this.#outbox.set(delivery.id, { ...structuredClone(delivery), attempts: 0, status: 'pending', leaseUntil: 0, version: this.#next() });
    }
    return true;
  }

  async listAlerts(): Promise<AlertRecord[]> {
    return [...this.#alerts.values()].sort((a, b) => a.job.localeCompare(b.job) || a.rule - b.rule).map((r) => structuredClone(r));
  }

  async dueDeliveries(now: number, max: number): Promise<OutboxEntry[]> {
    return [...this.#outbox.values()]
      .filter((e) => e.status === 'pending' && e.dueAt <= now && e.leaseUntil <= now)
      .slice(0, max)
      .map((e) => structuredClone(e));
  }

  async claimDelivery(entry: OutboxEntry, until: number): Promise<OutboxEntry | undefined> {
    const current = this.#outbox.get(entry.id);
    if (!current || current.version !== entry.version) return undefined;
    const claimed = { ...current, leaseUntil: until, version: this.#next() };
    this.#outbox.set(entry.id, claimed);
    return structuredClone(claimed);
  }

  async completeDelivery(entry: OutboxEntry): Promise<void> {
    this.#outbox.delete(entry.id);
  }

  async failDelivery(entry: OutboxEntry, failure: DeliveryFailure): Promise<void> {
    const current = this.#outbox.get(entry.id);
    if (!current || current.version !== entry.version) return;
    const { attempts, dueAt, lastError, dead } = failure;
    this.#outbox.set(entry.id, { ...current, attempts, dueAt, lastError, status: dead ? 'dead' : 'pending', leaseUntil: 0, version: this.#next() });
  }

  async countDeadDeliveries(): Promise<number> {
    let dead = 0;
    for (const entry of this.#outbox.values()) if (entry.status === 'dead') dead++;
    return dead;
  }

  #next(): string {
    return String(++this.#version);
  }
}
