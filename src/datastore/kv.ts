// The one key-value interface every backend implements. Keys are strings,
// values are strings (JSON); every change bumps a store-wide revision.

export interface KVPair {
  key: string;
  value: string;
  /** Revision of the last change to this key. */
  modRevision: number;
  /** Revision at which this key was created. */
  createRevision: number;
}

export interface KVList {
  items: KVPair[]; // sorted by key
  /** Store revision the list was read at; watch from revision + 1 to see every later change. */
  revision: number;
}

/** create: fail if the key exists; update: fail if it does not; upsert: either. */
export type PutMode = 'create' | 'update' | 'upsert';

export type TxnOp =
  | { op: 'put'; key: string; value: string; mode?: PutMode; expectModRevision?: number }
  | { op: 'delete'; key: string; mustExist?: boolean; expectModRevision?: number }
  /** Delete every key under a prefix (no error when there are none). */
  | { op: 'deletePrefix'; prefix: string };

export interface WatchEvent {
  type: 'put' | 'delete';
  key: string;
  /** New value for put; absent for delete. */
  value?: string;
  modRevision: number;
}

export interface WatchHandlers {
  /** Events in revision order; a batch never splits one transaction. */
  onEvents(events: WatchEvent[]): void;
  /**
   * A watch that fails is over. RevisionTooOldError means: re-list and watch again
   * from the list's revision + 1. Any other error: the connection is gone; retry.
   */
  onError(err: Error): void;
}

export interface Watch {
  cancel(): Promise<void>;
}

export interface KVStore {
  get(key: string): Promise<KVPair | undefined>;
  list(prefix: string): Promise<KVList>;
  put(key: string, value: string, opts?: { mode?: PutMode; expectModRevision?: number }): Promise<number>;
  /** Deletes one key; with mustExist a missing key throws KeyNotFoundError. */
  delete(key: string, opts?: { mustExist?: boolean; expectModRevision?: number }): Promise<number>;
  /** All ops or none. Returns the revision of the change (the current revision if nothing changed). */
  txn(ops: TxnOp[]): Promise<number>;
  /** Watch changes under prefix with modRevision >= fromRevision. */
  watch(prefix: string, fromRevision: number, handlers: WatchHandlers): Watch;
  close(): Promise<void>;
}

export class KeyExistsError extends Error {
  constructor(public readonly key: string) {
    super(`key already exists: ${key}`);
    this.name = 'KeyExistsError';
  }
}
export class KeyNotFoundError extends Error {
  constructor(public readonly key: string) {
    super(`key does not exist: ${key}`);
    this.name = 'KeyNotFoundError';
  }
}
export class RevisionConflictError extends Error {
  constructor(public readonly key: string) {
    super(`key was modified concurrently: ${key}`);
    this.name = 'RevisionConflictError';
  }
}
/** The requested watch revision was compacted away: re-list, then watch again. */
export class RevisionTooOldError extends Error {
  constructor(public readonly requested: number, public readonly compactRevision: number) {
    super(`revision ${requested} is too old (compacted at ${compactRevision})`);
    this.name = 'RevisionTooOldError';
  }
}
