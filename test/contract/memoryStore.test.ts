import { MemoryStore } from '../../src/adapters/memory-store/memoryStore.js';
import { describeStateStore } from './stateStore.contract.js';

describeStateStore('MemoryStore (the fake)', { create: async () => new MemoryStore() });
