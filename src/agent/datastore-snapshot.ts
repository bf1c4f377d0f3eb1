// One read of the whole datastore turned into a node's desired state: what
// `tabby compile`, `tabby diff` and `tabby agent --once` start from.
import type { DesiredState } from '../../compiler/desired-state.js';
import { computeDesiredState, updatesFromKVs } from '../calc/index.js';
import type { KVStore } from '../datastore/kv.js';
import { CALICO_PREFIX } from '../model/storage.js';

export interface DatastoreSnapshot {
  state: DesiredState;
  /** Store revision the snapshot was read at. */
  revision: number;
  /** Keys whose value did not decode (skipped), with the reason. */
  invalid: { key: string; error: string }[];
}

/** Lists everything under /calico/v1/ and computes the desired state of `node`. */
export async function readDesiredState(store: KVStore, node: string): Promise<DatastoreSnapshot> {
  const list = await store.list(CALICO_PREFIX);
  const ingest = updatesFromKVs(list.items);
  return { state: computeDesiredState(node, ingest.updates), revision: list.revision, invalid: ingest.invalid };
}
