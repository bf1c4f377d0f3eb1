// An in-memory KVStore with the full contract of src/datastore/kv.ts: one
// store-wide revision, create/update/upsert puts, guarded deletes,
// all-or-nothing transactions (with the same checks on their shape as the
// real backends), and prefix watches that replay history from a revision
// (RevisionTooOldError below the compaction point). Tests of the
// layers above the datastore run on it without a directory or an etcd.
import {
  KeyExistsError,
  KeyNotFoundError,
  RevisionConflictError,
  RevisionTooOldError,
  type KVList,
  type KVPair,
  type KVStore,
  type PutMode,
  type TxnOp,
  type Watch,
  type WatchEvent,
  type WatchHandlers,
} from '../../src/datastore/kv.js';
import { checkTxnOps } from '../../src/datastore/embedded/ops.js';

export interface MemoryKV extends KVStore {
  /** Current store revision (0 before the first write). */
  readonly revision: number;
  /** Every key and value, sorted by key (for asserting "nothing changed"). */
  snapshot(): [string, string][];
  /** Forgets history before `revision` (as etcd's compact): watches from earlier get RevisionTooOldError. */
  compact(revision: number): void;
  readonly closed: boolean;
}

interface Watcher {
  prefix: string;
  handlers: WatchHandlers;
  cancelled: boolean;
}

/** A new empty store, or one holding `initial` (written at revision 1). */
export function memoryKV(initial: Iterable<[string, string]> = []): MemoryKV {
  const data = new Map<string, KVPair>();
  const history: WatchEvent[] = [];
  const watchers = new Set<Watcher>();
  let revision = 0;
  let compacted = 0;
  let closed = false;

  const checkOpen = (): void => {
    if (closed) throw new Error('memory KV store is closed');
  };

  /** Applies ops to `state` at `rev`; throws (leaving the caller to discard state) on a failed guard. */
  function applyOps(state: Map<string, KVPair>, ops: readonly TxnOp[], rev: number): WatchEvent[] {
    const events: WatchEvent[] = [];
    for (const op of ops) {
      if (op.op === 'deletePrefix') {
        for (const key of [...state.keys()].sort()) {
          if (!key.startsWith(op.prefix)) continue;
          state.delete(key);
          events.push({ type: 'delete', key, modRevision: rev });
        }
        continue;
      }
      const current = state.get(op.key);
      if (op.expectModRevision !== undefined && (current?.modRevision ?? 0) !== op.expectModRevision) {
        throw new RevisionConflictError(op.key);
      }
      if (op.op === 'put') {
        const mode: PutMode = op.mode ?? 'upsert';
        if (mode === 'create' && current) throw new KeyExistsError(op.key);
        if (mode === 'update' && !current) throw new KeyNotFoundError(op.key);
        state.set(op.key, { key: op.key, value: op.value, modRevision: rev, createRevision: current?.createRevision ?? rev });
        events.push({ type: 'put', key: op.key, value: op.value, modRevision: rev });
      } else {
        if (!current) {
          if (op.mustExist) throw new KeyNotFoundError(op.key);
          continue;
        }
        state.delete(op.key);
        events.push({ type: 'delete', key: op.key, modRevision: rev });
      }
    }
    return events;
  }

  function commit(ops: readonly TxnOp[], label?: string): number {
    checkOpen();
    checkTxnOps(ops, label === undefined ? undefined : () => label);
    const next = new Map(data);
    const events = applyOps(next, ops, revision + 1);
    if (events.length === 0) return revision;
    revision++;
    data.clear();
    for (const [k, v] of next) data.set(k, v);
    history.push(...events);
    for (const w of watchers) deliver(w, events);
    return revision;
  }

  /** Delivers asynchronously, as a real backend would, keeping one transaction in one batch. */
  function deliver(w: Watcher, events: readonly WatchEvent[]): void {
    const mine = events.filter((e) => e.key.startsWith(w.prefix));
    if (mine.length === 0) return;
    queueMicrotask(() => {
      if (!w.cancelled) w.handlers.onEvents(mine.map((e) => ({ ...e })));
    });
  }

  const store: MemoryKV = {
    get revision() {
      return revision;
    },
    get closed() {
      return closed;
    },
    snapshot() {
      return [...data.values()].sort((a, b) => (a.key < b.key ? -1 : 1)).map((p) => [p.key, p.value]);
    },
    compact(rev: number) {
      compacted = Math.max(compacted, Math.min(rev, revision));
      while (history.length && history[0]!.modRevision < compacted) history.shift();
    },
    async get(key) {
      checkOpen();
      const p = data.get(key);
      return p && { ...p };
    },
    async list(prefix): Promise<KVList> {
      checkOpen();
      const items = [...data.values()].filter((p) => p.key.startsWith(prefix)).sort((a, b) => (a.key < b.key ? -1 : 1));
      return { items: items.map((p) => ({ ...p })), revision };
    },
    async put(key, value, opts = {}) {
      return commit([{ op: 'put', key, value, ...opts }], 'put');
    },
    async delete(key, opts = {}) {
      return commit([{ op: 'delete', key, ...opts }], 'delete');
    },
    async txn(ops) {
      return commit(ops);
    },
    watch(prefix, fromRevision, handlers): Watch {
      checkOpen();
      const w: Watcher = { prefix, handlers, cancelled: false };
      if (fromRevision < compacted) {
        queueMicrotask(() => {
          if (!w.cancelled) handlers.onError(new RevisionTooOldError(fromRevision, compacted));
        });
        return { cancel: async () => void (w.cancelled = true) };
      }
      // Replay history from fromRevision, one batch per revision, then go live.
      const past = history.filter((e) => e.modRevision >= fromRevision);
      const byRevision = new Map<number, WatchEvent[]>();
      for (const e of past) byRevision.set(e.modRevision, [...(byRevision.get(e.modRevision) ?? []), e]);
      for (const events of byRevision.values()) deliver(w, events);
      watchers.add(w);
      return {
        cancel: async () => {
          w.cancelled = true;
          watchers.delete(w);
        },
      };
    },
    async close() {
      closed = true;
      for (const w of watchers) w.cancelled = true;
      watchers.clear();
    },
  };

  const seed = [...initial];
  if (seed.length) commit(seed.map(([key, value]) => ({ op: 'put', key, value })));
  return store;
}
