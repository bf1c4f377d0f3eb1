// Checks on the shape of write operations, shared by every backend so that a bad
// call fails the same way (and before anything is written) on each of them.
import type { PutMode, TxnOp } from '../kv.js';

const MODES: readonly PutMode[] = ['create', 'update', 'upsert'];

function checkKey(field: string, key: unknown): void {
  if (typeof key !== 'string' || key === '') {
    throw new TypeError(`${field} must be a non-empty string, got ${JSON.stringify(key)}`);
  }
}

function checkRevision(field: string, rev: unknown): void {
  if (rev !== undefined && !(Number.isSafeInteger(rev) && (rev as number) >= 0)) {
    throw new TypeError(`${field} must be a non-negative integer, got ${JSON.stringify(rev)}`);
  }
}

/**
 * Validates a transaction. Besides field checks, a key may be written by at most
 * one op and may not be both written and deleted (etcd refuses such transactions
 * with "duplicate key given in txn request"; the embedded store follows suit).
 */
export function checkTxnOps(ops: readonly TxnOp[], label: (i: number) => string = (i) => `txn op ${i}`): void {
  if (!Array.isArray(ops)) throw new TypeError(`txn ops must be an array, got ${JSON.stringify(ops)}`);
  const puts = new Set<string>();
  const deletes: string[] = [];
  const prefixes: string[] = [];
  ops.forEach((op, i) => {
    const at = label(i);
    switch (op?.op) {
      case 'put':
        checkKey(`${at} key`, op.key);
        if (typeof op.value !== 'string') throw new TypeError(`${at} value for ${op.key} must be a string, got ${typeof op.value}`);
        if (op.mode !== undefined && !MODES.includes(op.mode)) {
          throw new TypeError(`${at} mode must be one of ${MODES.join(', ')}, got ${JSON.stringify(op.mode)}`);
        }
        checkRevision(`${at} expectModRevision`, op.expectModRevision);
        if (puts.has(op.key)) throw new TypeError(`${at}: key ${op.key} is written twice in one transaction`);
        puts.add(op.key);
        break;
      case 'delete':
        checkKey(`${at} key`, op.key);
        checkRevision(`${at} expectModRevision`, op.expectModRevision);
        deletes.push(op.key);
        break;
      case 'deletePrefix':
        checkKey(`${at} prefix`, op.prefix);
        prefixes.push(op.prefix);
        break;
      default:
        throw new TypeError(`${at} op must be put, delete or deletePrefix, got ${JSON.stringify((op as { op?: unknown })?.op)}`);
    }
  });
  for (const key of puts) {
    if (deletes.includes(key) || prefixes.some((p) => key.startsWith(p))) {
      throw new TypeError(`key ${key} is both written and deleted in one transaction`);
    }
  }
}

export function checkPutArgs(key: unknown, value: unknown, opts?: { mode?: PutMode; expectModRevision?: number }): TxnOp {
  const op: TxnOp = { op: 'put', key: key as string, value: value as string, mode: opts?.mode, expectModRevision: opts?.expectModRevision };
  checkTxnOps([op], () => 'put');
  return op;
}

export function checkDeleteArgs(key: unknown, opts?: { mustExist?: boolean; expectModRevision?: number }): TxnOp {
  const op: TxnOp = { op: 'delete', key: key as string, mustExist: opts?.mustExist, expectModRevision: opts?.expectModRevision };
  checkTxnOps([op], () => 'delete');
  return op;
}
