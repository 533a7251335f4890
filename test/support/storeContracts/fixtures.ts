import { afterEach, expect } from 'vitest';
import type { StoredJob, StoreLifecycle } from '../../../src/app/ports/index.js';
import type { AuditEntry } from '../../../src/domain/audit.js';
import type { Run } from '../../../src/domain/run.js';
import type { JobState } from '../../../src/domain/state.js';

/** Makes stores of one role (with their lifecycle) for a contract suite. */
export interface RoleFactory<T> {
  /** A new, empty store. */
  create(): Promise<T & StoreLifecycle>;
  /** A second store over the same data as `store` (another instance, or the app after a restart); absent for stores that keep nothing. */
  reopen?(store: T & StoreLifecycle): Promise<T & StoreLifecycle>;
}

/** `create` that closes every store it made after each test. */
export function opened<T>(factory: RoleFactory<T>): { create: () => Promise<T & StoreLifecycle>; track: (store: T & StoreLifecycle) => void } {
  const open: StoreLifecycle[] = [];
  afterEach(async () => {
    await Promise.all(open.splice(0).map((s) => s.close()));
  });
  return {
    create: async () => {
      const store = await factory.create();
      open.push(store);
      return store;
    },
    track: (store) => open.push(store),
  };
}

export const T0 = Date.parse('2026-11-23T12:00:00.000Z');

export const run = (job: string, at: number, extra: Partial<Run> = {}): Run => ({
  runId: `${job}@${new Date(at).toISOString()}`,
  job,
  trigger: 'schedule',
  scheduledAt: new Date(at).toISOString(),
  startedAt: new Date(at + 2).toISOString(),
  durationMs: 12,
  attempts: 1,
  status: 'up',
  success: true,
  httpStatus: 200,
  conditions: [{ condition: '[STATUS] == 200', success: true, actual: '200' }],
  timings: { dns: 0, connect: 0.4, tls: 0, firstByte: 1.9, total: 3.2 },
  location: 'test',
  ...extra,
});

export const state = (health: JobState['health'], failures = 0): JobState => ({
  health,
  since: new Date(T0).toISOString(),
  consecutiveFailures: failures,
  consecutiveSuccesses: health === 'UP' ? 1 : 0,
  lastRun: null,
});

export const storedJob = (name: string, etag = 'r1', url = 'https://example.test/health'): StoredJob => ({
  name,
  definition: { name, url, every: '1m', headers: { authorization: '${secret:token}' } },
  etag,
  createdAt: new Date(T0).toISOString(),
  updatedAt: new Date(T0).toISOString(),
});

export const audit = (i: number): AuditEntry => ({
  id: `a${i}`,
  at: new Date(T0 + i * 1_000).toISOString(),
  actor: { name: 'alice@example.test', via: 'app-service-auth' },
  action: 'job.update',
  job: 'billing',
  before: { name: 'billing', url: 'https://a.test' },
  after: { name: 'billing', url: 'https://b.test' },
});

/** Pages through `list` with keys `keyOf`, `limit` at a time; returns every page in order. */
export async function pageAll<T>(list: (after: string | undefined) => Promise<T[]>, limit: number, keyOf: (t: T) => string): Promise<T[][]> {
  const pages: T[][] = [];
  let after: string | undefined;
  for (;;) {
    const page = await list(after);
    expect(page.length).toBeLessThanOrEqual(limit);
    if (page.length === 0) return pages;
    pages.push(page);
    after = keyOf(page[page.length - 1] as T);
  }
}
