// Raw datastore pairs to DatastoreUpdates. A value that fails to decode is skipped and reported
// (the agent logs it and carries on, so one bad key cannot stop a node's policy); keys outside
// Tabby's layout (other Calico keys) are listed apart, as they are not errors.
import { decodeDatastoreValue, deletedUpdate, parseDatastoreKey } from '../model/storage.js';
import type { DatastoreUpdate } from '../model/types.js';

/** A stored pair, or a deletion when value is absent (as a watch reports it). */
export interface RawKV {
  key: string;
  value?: string;
}

export interface IngestResult {
  /** In input order. */
  updates: DatastoreUpdate[];
  /** Keys whose value did not decode, with the reason (naming the key and the field). */
  invalid: { key: string; error: string }[];
  /** Keys that are not Tabby's (or name nothing valid), ignored. */
  ignored: string[];
}

export function updatesFromKVs(pairs: Iterable<RawKV>): IngestResult {
  const out: IngestResult = { updates: [], invalid: [], ignored: [] };
  for (const { key, value } of pairs) {
    const k = parseDatastoreKey(key);
    if (k === undefined) {
      out.ignored.push(key);
      continue;
    }
    if (value === undefined) {
      out.updates.push(deletedUpdate(k));
      continue;
    }
    try {
      out.updates.push(decodeDatastoreValue(k, value));
    } catch (err) {
      out.invalid.push({ key, error: err instanceof Error ? err.message : String(err) });
    }
  }
  return out;
}
