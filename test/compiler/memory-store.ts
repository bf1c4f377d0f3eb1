// A read-only in-memory KVStore for `tabby compile` tests: list and close are
// all compile uses; anything else fails loudly so a test notices.
import type { KVList, KVStore } from '../../src/datastore/kv.js';

export type MemoryStore = KVStore & { closed: boolean };

export function memoryStore(kvs: ReadonlyMap<string, string>): MemoryStore {
  const unsupported = (what: string) => async (): Promise<never> => {
    throw new Error(`memoryStore: ${what} is not supported (read-only test store)`);
  };
  const store: MemoryStore = {
    closed: false,
    async list(prefix: string): Promise<KVList> {
      const items = [...kvs]
        .filter(([k]) => k.startsWith(prefix))
        .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
        .map(([key, value], i) => ({ key, value, modRevision: i + 1, createRevision: i + 1 }));
      return { items, revision: items.length };
    },
    async close(): Promise<void> {
      store.closed = true;
    },
    get: unsupported('get'),
    put: unsupported('put'),
    delete: unsupported('delete'),
    txn: unsupported('txn'),
    watch: () => {
      throw new Error('memoryStore: watch is not supported (read-only test store)');
    },
  };
  return store;
}
