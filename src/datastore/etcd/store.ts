// The etcd v3 backend, over the etcd3 package's raw KV and Watch clients so that
// every call maps one-to-one onto an etcd request: put modes and
// expectModRevision become transaction compares, a watch is one gRPC stream
// that ends (and reports) on compaction or connection loss instead of silently
// reconnecting; the caller re-lists and re-watches.
import { Etcd3, GRPCResourceExhastedError, type IOptions, type IRequestOp, type ICompare, type IKeyValue, type IResponseOp } from 'etcd3';
import { KeyExistsError, KeyNotFoundError, RevisionConflictError, type KVList, type KVPair, type KVStore, type PutMode, type TxnOp, type Watch, type WatchHandlers } from '../kv.js';
import { checkDeleteArgs, checkPutArgs, checkTxnOps } from '../embedded/ops.js';
import { parseEndpoints } from './endpoints.js';
import { EtcdWatch } from './watch.js';
import { prefixEnd } from './keys.js';

export interface EtcdStoreOptions {
  /** Deadline for each unary request (default 10 s); watches have none. */
  requestTimeoutMs?: number;
  /** Keys asked for by the first request of a listing (default 500); later pages grow. */
  pageSize?: number;
  /** Most keys asked for by one request of a listing (default 20,000). */
  maxPageSize?: number;
  /** Largest gRPC message accepted from etcd (default 64 MiB; gRPC's own default is 4 MiB). */
  maxReceiveBytes?: number;
}

/** A listing's pages grow while the last one held less than a quarter of this. */
const PAGE_BYTES = 4 * 1024 * 1024;

type HostPolicy = ReturnType<NonNullable<NonNullable<IOptions['faultHandling']>['host']>>;

// etcd3's default host policy is a circuit breaker that refuses every call for
// 5 s after three failures, which would delay recovery after an etcd restart;
// callers here do their own backoff, so calls go straight through.
const passThrough = {
  execute: <T>(fn: (ctx: { signal: AbortSignal }) => PromiseLike<T> | T) => Promise.resolve().then(() => fn({ signal: new AbortController().signal })),
} as unknown as HostPolicy;

export async function openEtcdStore(endpoints: string | string[], options: EtcdStoreOptions = {}): Promise<EtcdStore> {
  const hosts = Array.isArray(endpoints) ? endpoints.flatMap((e) => parseEndpoints(e)) : parseEndpoints(endpoints);
  return new EtcdStore(hosts, options);
}

const utf8 = (b: Buffer | undefined): string => (b ? b.toString('utf8') : '');

function toPair(kv: IKeyValue): KVPair {
  return { key: utf8(kv.key), value: utf8(kv.value), modRevision: Number(kv.mod_revision), createRevision: Number(kv.create_revision) };
}

export class EtcdStore implements KVStore {
  private readonly client: Etcd3;
  private readonly pageSize: number;
  private readonly maxPageSize: number;
  private readonly watches = new Set<EtcdWatch>();
  private closed = false;

  constructor(readonly endpoints: string[], options: EtcdStoreOptions = {}) {
    const timeout = options.requestTimeoutMs ?? 10_000;
    this.pageSize = options.pageSize ?? 500;
    this.maxPageSize = Math.max(this.pageSize, options.maxPageSize ?? 20_000);
    this.client = new Etcd3({
      hosts: endpoints,
      dialTimeout: timeout,
      faultHandling: { host: () => passThrough },
      defaultCallOptions: (ctx) => (ctx.isStream ? {} : { deadline: Date.now() + timeout }),
      grpcOptions: {
        // Notice a silently dead connection; etcd accepts pings every 5 s or slower.
        'grpc.keepalive_time_ms': 10_000,
        'grpc.keepalive_timeout_ms': 5_000,
        'grpc.max_receive_message_length': options.maxReceiveBytes ?? 64 * 1024 * 1024,
      },
    });
  }

  async get(key: string): Promise<KVPair | undefined> {
    this.assertOpen();
    const res = await this.client.kv.range({ key: Buffer.from(key) });
    return res.kvs[0] && toPair(res.kvs[0]);
  }

  async list(prefix: string): Promise<KVList> {
    this.assertOpen();
    const end = prefixEnd(prefix);
    const items: KVPair[] = [];
    let from = Buffer.from(prefix === '' ? '\0' : prefix);
    let revision: string | undefined;
    // Page through a consistent view (one revision) so large stores fit gRPC's message limit.
    // etcd 3.4 walks every key left in the range for each page, so small pages cost time
    // quadratic in the store's size (55,000 keys: 6.4 s in pages of 500, 1 s in pages of 5,000).
    // Pages therefore grow while they stay small in bytes, and shrink when one is too large.
    let limit = this.pageSize;
    let ceiling = this.maxPageSize;
    for (;;) {
      let res: Awaited<ReturnType<typeof this.client.kv.range>>;
      try {
        res = await this.client.kv.range({ key: from, range_end: end, limit, revision, sort_order: 'Ascend', sort_target: 'Key' });
      } catch (err) {
        if (!(err instanceof GRPCResourceExhastedError) || limit === 1) throw err;
        ceiling = Math.max(1, limit >> 2);
        limit = ceiling;
        continue;
      }
      revision ??= res.header.revision;
      let bytes = 0;
      for (const kv of res.kvs) {
        items.push(toPair(kv));
        bytes += kv.key.length + kv.value.length;
      }
      if (!res.more || res.kvs.length === 0) break;
      from = Buffer.concat([res.kvs[res.kvs.length - 1]!.key, Buffer.from([0])]);
      if (bytes * 4 < PAGE_BYTES) limit = Math.min(limit * 4, ceiling);
    }
    return { items, revision: Number(revision) };
  }

  async put(key: string, value: string, opts?: { mode?: PutMode; expectModRevision?: number }): Promise<number> {
    return this.commit([checkPutArgs(key, value, opts)]);
  }

  async delete(key: string, opts?: { mustExist?: boolean; expectModRevision?: number }): Promise<number> {
    return this.commit([checkDeleteArgs(key, opts)]);
  }

  async txn(ops: TxnOp[]): Promise<number> {
    checkTxnOps(ops);
    return this.commit(ops);
  }

  watch(prefix: string, fromRevision: number, handlers: WatchHandlers): Watch {
    this.assertOpen();
    if (typeof prefix !== 'string') throw new TypeError(`watch prefix must be a string, got ${JSON.stringify(prefix)}`);
    if (!Number.isSafeInteger(fromRevision)) throw new TypeError(`watch fromRevision must be an integer, got ${JSON.stringify(fromRevision)}`);
    const w = new EtcdWatch(this.client.watchClient, prefix, fromRevision, handlers, () => this.watches.delete(w));
    this.watches.add(w);
    w.start();
    return { cancel: () => w.cancel() };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.all([...this.watches].map((w) => w.cancel()));
    this.client.close();
  }

  /**
   * One etcd transaction: every condition of every op becomes a compare; if any
   * fails, the failure branch reads the keys involved so the first failing op
   * can be reported with the same error the embedded store gives.
   */
  private async commit(ops: readonly TxnOp[]): Promise<number> {
    this.assertOpen();
    const compare: ICompare[] = [];
    const success: IRequestOp[] = [];
    const checked: string[] = [];
    const check = (key: string) => {
      if (!checked.includes(key)) checked.push(key);
    };
    for (const op of ops) {
      if (op.op === 'deletePrefix') {
        success.push({ request_delete_range: { key: Buffer.from(op.prefix), range_end: prefixEnd(op.prefix) } });
        continue;
      }
      const key = Buffer.from(op.key);
      if (op.op === 'put') {
        success.push({ request_put: { key, value: Buffer.from(op.value) } });
        if (op.mode === 'create') compare.push({ key, target: 'Create', result: 'Equal', create_revision: 0 });
        if (op.mode === 'update') compare.push({ key, target: 'Create', result: 'Greater', create_revision: 0 });
        if (op.mode === 'create' || op.mode === 'update') check(op.key);
      } else {
        success.push({ request_delete_range: { key } });
        if (op.mustExist) {
          compare.push({ key, target: 'Create', result: 'Greater', create_revision: 0 });
          check(op.key);
        }
      }
      if (op.expectModRevision !== undefined) {
        compare.push({ key, target: 'Mod', result: 'Equal', mod_revision: op.expectModRevision });
        check(op.key);
      }
    }
    const failure: IRequestOp[] = checked.map((key) => ({ request_range: { key: Buffer.from(key) } }));
    const res = await this.client.kv.txn({ compare, success, failure });
    if (res.succeeded) return Number(res.header.revision);
    throw firstFailure(ops, checked, res.responses);
  }

  private assertOpen(): void {
    if (this.closed) throw new Error('datastore is closed');
  }
}

/** Re-evaluates the ops against the keys the failed transaction read, in op order. */
function firstFailure(ops: readonly TxnOp[], checked: string[], responses: IResponseOp[]): Error {
  const current = new Map<string, number>();
  checked.forEach((key, i) => {
    const kv = responses[i]?.response_range?.kvs[0];
    if (kv) current.set(key, Number(kv.mod_revision));
  });
  for (const op of ops) {
    if (op.op === 'deletePrefix') continue;
    const mod = current.get(op.key);
    if (op.op === 'put' && op.mode === 'create' && mod !== undefined) return new KeyExistsError(op.key);
    if (op.op === 'put' && op.mode === 'update' && mod === undefined) return new KeyNotFoundError(op.key);
    if (op.op === 'delete' && op.mustExist && mod === undefined) return new KeyNotFoundError(op.key);
    if (op.expectModRevision !== undefined && (mod ?? 0) !== op.expectModRevision) return new RevisionConflictError(op.key);
  }
  // etcd said a compare failed, yet every condition holds on the state it returned: cannot happen.
  return new Error(`etcd transaction failed without a failing condition (keys ${checked.join(', ')})`);
}
