// Chooses the datastore from the environment: etcd v3 when ETCD_ENDPOINTS is
// set (as calicoctl reads it), else the embedded store in TABBY_DATA_DIR.
import { homedir } from 'node:os';
import { join } from 'node:path';
import type { KVStore } from './kv.js';
import { openEmbeddedStore } from './embedded/store.js';
import type { EtcdStore, EtcdStoreOptions } from './etcd/store.js';

export { openEmbeddedStore, type EmbeddedStore, type EmbeddedStoreOptions } from './embedded/store.js';
export type { EtcdStore, EtcdStoreOptions } from './etcd/store.js';
export { parseEndpoints, EndpointsError } from './etcd/endpoints.js';

/**
 * Opens the etcd backend. The etcd3 client (gRPC) is loaded only here: it costs
 * seconds of start-up that every embedded-store command would otherwise pay.
 */
export async function openEtcdStore(endpoints: string | string[], opts?: EtcdStoreOptions): Promise<EtcdStore> {
  const etcd = await import('./etcd/store.js');
  return etcd.openEtcdStore(endpoints, opts);
}

/** Default embedded store directory: /var/lib/tabby for root, else ~/.local/share/tabby. */
export function defaultDataDir(env: NodeJS.ProcessEnv = process.env): string {
  if (process.getuid?.() === 0) return '/var/lib/tabby';
  return join(env.HOME || homedir(), '.local', 'share', 'tabby');
}

export async function openDatastore(env: NodeJS.ProcessEnv): Promise<KVStore> {
  const endpoints = env.ETCD_ENDPOINTS;
  if (endpoints !== undefined && endpoints.trim() !== '') return openEtcdStore(endpoints);
  const dir = env.TABBY_DATA_DIR;
  return openEmbeddedStore(dir !== undefined && dir !== '' ? dir : defaultDataDir(env));
}
