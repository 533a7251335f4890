import { describe, expect, it } from 'vitest';
import { MemoryStore } from '../../../src/adapters/memory-store/memoryStore.js';
import { audit, describeStateStore } from '../../support/stateStore.contract.js';

describeStateStore('MemoryStore (the fake)', { create: async () => new MemoryStore() });

describe('MemoryStore bounds', () => {
  it('keeps the newest maxAuditEntries audit entries, whatever order they came in', async () => {
    const store = new MemoryStore({ maxAuditEntries: 3 });
    for (const i of [3, 0, 6, 1, 5, 2, 4]) await store.recordAudit(audit(i));
    expect((await store.listAudit({ limit: 10 })).map((e) => e.id)).toEqual(['a6', 'a5', 'a4']);
  });
});
