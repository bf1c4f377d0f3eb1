// The datastores the v1 tests run on: the in-memory KV, the embedded store in
// a temporary TABBY_DATA_DIR, and a real etcd on 127.0.0.1 started by
// test/helpers/etcd.ts (skipped, saying why, where etcd is not installed).
import type { KVStore } from '../../src/datastore/kv.js';
import { openDatastore } from '../../src/datastore/open.js';
import { embeddedEnv, etcdEnv, tempDataDir } from '../helpers/cli.js';
import { memoryKV } from '../helpers/memory-kv.js';
import { etcdUnavailable, startEtcd } from '../helpers/etcd.js';

interface TestLike {
  teardown(fn: () => unknown): void;
}

export interface Backend {
  name: 'memory' | 'embedded' | 'etcd';
  /** The environment that selects this store for calicoctl (memory: none, tests inject the store). */
  env?: NodeJS.ProcessEnv;
  /** Opens a new client of this backend's store (every call sees the same data). */
  open(): Promise<KVStore>;
}

/** Removes every Calico key, so one started store can serve several tests in turn. */
export async function wipe(backend: Backend): Promise<void> {
  const kv = await backend.open();
  try {
    await kv.txn([{ op: 'deletePrefix', prefix: '/calico/' }]);
  } finally {
    await kv.close();
  }
}

export interface BackendFactory {
  name: Backend['name'];
  /** Why the backend cannot run here, or undefined when it can. */
  unavailable(): Promise<string | undefined>;
  /** A new, empty store for one test; removed when the test ends. */
  create(t: TestLike): Promise<Backend>;
}

export const memoryBackend: BackendFactory = {
  name: 'memory',
  unavailable: async () => undefined,
  async create() {
    const kv = memoryKV();
    // Every client is the same store; closing a client leaves the data.
    return { name: 'memory', open: async () => ({ ...kv, close: async () => undefined }) };
  },
};

export const embeddedBackend: BackendFactory = {
  name: 'embedded',
  unavailable: async () => undefined,
  async create(t) {
    const env = embeddedEnv(await tempDataDir(t, 'tabby-v1-embedded-'));
    return { name: 'embedded', env, open: () => openDatastore(env) };
  },
};

export const etcdBackend: BackendFactory = {
  name: 'etcd',
  unavailable: async () => etcdUnavailable(),
  async create(t) {
    const { endpoints } = await startEtcd(t);
    const env = etcdEnv(endpoints);
    return { name: 'etcd', env, open: () => openDatastore(env) };
  },
};

export const ALL_BACKENDS: readonly BackendFactory[] = [memoryBackend, embeddedBackend, etcdBackend];
