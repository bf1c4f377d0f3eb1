// The embedded store's in-memory image: the latest value of every key and the
// store revision, plus the pure logic that turns a transaction into changes.
import { KeyExistsError, KeyNotFoundError, RevisionConflictError, type KVPair, type TxnOp } from '../kv.js';
import type { LogChange, LogRecord } from './record.js';

export interface Entry {
  value: string;
  createRevision: number;
  modRevision: number;
}

export class KVState {
  readonly entries = new Map<string, Entry>();
  revision = 0;

  apply(record: LogRecord): void {
    for (const c of record.changes) {
      if (c.type === 'put') {
        this.entries.set(c.key, { value: c.value ?? '', createRevision: c.createRevision ?? record.revision, modRevision: record.revision });
      } else {
        this.entries.delete(c.key);
      }
    }
    this.revision = record.revision;
  }

  get(key: string): KVPair | undefined {
    const e = this.entries.get(key);
    return e && { key, ...e };
  }

  list(prefix: string): KVPair[] {
    const out: KVPair[] = [];
    for (const [key, e] of this.entries) if (key.startsWith(prefix)) out.push({ key, ...e });
    return out.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  }

  /**
   * The changes a transaction makes at revision `this.revision + 1`. Every condition
   * is checked against the state before the transaction (as etcd does); the first
   * failing op's error is thrown and nothing changes.
   */
  plan(ops: readonly TxnOp[]): LogChange[] {
    const next = this.revision + 1;
    for (const op of ops) {
      if (op.op === 'deletePrefix') continue;
      const cur = this.entries.get(op.key);
      if (op.op === 'put') {
        if (op.mode === 'create' && cur) throw new KeyExistsError(op.key);
        if (op.mode === 'update' && !cur) throw new KeyNotFoundError(op.key);
      } else if (op.mustExist && !cur) {
        throw new KeyNotFoundError(op.key);
      }
      if (op.expectModRevision !== undefined && (cur?.modRevision ?? 0) !== op.expectModRevision) {
        throw new RevisionConflictError(op.key);
      }
    }
    const changes: LogChange[] = [];
    const deleted = new Set<string>();
    const del = (key: string) => {
      if (this.entries.has(key) && !deleted.has(key)) {
        deleted.add(key);
        changes.push({ type: 'delete', key });
      }
    };
    for (const op of ops) {
      if (op.op === 'put') {
        changes.push({ type: 'put', key: op.key, value: op.value, createRevision: this.entries.get(op.key)?.createRevision ?? next });
      } else if (op.op === 'delete') {
        del(op.key);
      } else {
        for (const kv of this.list(op.prefix)) del(kv.key);
      }
    }
    return changes;
  }
}
