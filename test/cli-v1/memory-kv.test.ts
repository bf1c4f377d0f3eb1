// The in-memory KV used by the v1 tests keeps the same contract as the real
// backends: it runs the shared KV contract suite (test/helpers/kv-contract.ts).
import t from 'tap';
import { kvContract } from '../helpers/kv-contract.js';
import { memoryKV, type MemoryKV } from '../helpers/memory-kv.js';

kvContract(t, {
  open: async () => memoryKV(),
  async compact(store) {
    const kv = store as MemoryKV;
    kv.compact(kv.revision);
    return kv.revision;
  },
});
