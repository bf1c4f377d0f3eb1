// The embedded KV store: a directory holding a snapshot and a write-ahead log
// (see files.ts). Every acknowledged write is fsynced; several processes may
// use one directory: writes run under an inter-process lock after catching up
// with the log, so revisions are store-wide and monotonic. Watches in any
// process see new records through fs.watch on the directory plus a short poll.
import { closeSync, constants, existsSync, fdatasyncSync, fstatSync, ftruncateSync, mkdirSync, openSync, readSync, statSync, unlinkSync, watch as fsWatch, type FSWatcher } from 'node:fs';
import { resolve } from 'node:path';
import { RevisionTooOldError, type KVList, type KVPair, type KVStore, type PutMode, type TxnOp, type Watch, type WatchEvent, type WatchHandlers } from '../kv.js';
import { fsyncDir, latestGeneration, lockPath, obsoleteFiles, readSnapshot, readSnapshotHeader, snapshotPath, walPath, writeAll, writeSnapshot } from './files.js';
import { FileLock, LockTimeoutError } from './lock.js';
import { checkDeleteArgs, checkPutArgs, checkTxnOps } from './ops.js';
import { decodeRecord, encodeRecord, type LogRecord } from './record.js';
import { KVState } from './state.js';

export interface EmbeddedStoreOptions {
  /** Compact the log into a new snapshot once it grows past this many bytes (default 4 MiB). */
  compactAfterBytes?: number;
  /** Poll interval for watches, a fallback for fs.watch (default 50 ms). */
  pollIntervalMs?: number;
  /** How long a write waits for another process's lock (default 30 s). */
  lockTimeoutMs?: number;
}

export class DatastoreClosedError extends Error {
  constructor() {
    super('datastore is closed');
    this.name = 'DatastoreClosedError';
  }
}

export class CorruptLogError extends Error {
  constructor(public readonly path: string, detail: string) {
    super(`datastore log ${path} is inconsistent: ${detail}`);
    this.name = 'CorruptLogError';
  }
}

interface Watcher {
  prefix: string;
  requested: number;
  /** Next revision this watcher has not seen yet. */
  next: number;
  started: boolean;
  active: boolean;
  handlers: WatchHandlers;
}

const NOT_FOUND = 'ENOENT';
const isNotFound = (err: unknown): boolean => (err as NodeJS.ErrnoException)?.code === NOT_FOUND;

/**
 * Opens a wal for reading and appending; read-only when we may not write (a user
 * reading a store owned by root still gets reads; its writes fail at the lock).
 */
function openWal(path: string, create: boolean): number {
  try {
    return openSync(path, constants.O_RDWR | (create ? constants.O_CREAT : 0), 0o644);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EACCES' || code === 'EPERM' || code === 'EROFS') return openSync(path, constants.O_RDONLY);
    throw err;
  }
}

export async function openEmbeddedStore(dir: string, options: EmbeddedStoreOptions = {}): Promise<EmbeddedStore> {
  if (typeof dir !== 'string' || dir === '') throw new TypeError(`datastore directory must be a non-empty path, got ${JSON.stringify(dir)}`);
  const path = resolve(dir);
  try {
    mkdirSync(path, { recursive: true });
  } catch (err) {
    throw new Error(`cannot create datastore directory ${path}: ${(err as Error).message}`);
  }
  if (!statSync(path).isDirectory()) throw new Error(`datastore path ${path} is not a directory`);
  return new EmbeddedStore(path, options);
}

export class EmbeddedStore implements KVStore {
  private readonly lock: FileLock;
  private readonly compactAfterBytes: number;
  private readonly pollIntervalMs: number;
  private readonly lockTimeoutMs: number;
  private state = new KVState();
  private gen = 0;
  private fd = -1;
  /** End of the last whole record read from the current wal. */
  private offset = 0;
  /** Revision of the current generation's snapshot: history at or before it is gone store-wide. */
  private snapshotRevision = 0;
  /** Records this process still holds for its watchers, contiguous, ending at state.revision. */
  private history: LogRecord[] = [];
  private readonly watchers = new Set<Watcher>();
  private fsWatcher: FSWatcher | undefined;
  private pollTimer: NodeJS.Timeout | undefined;
  private deliverScheduled = false;
  private closed = false;

  constructor(readonly dir: string, options: EmbeddedStoreOptions = {}) {
    this.lock = new FileLock(lockPath(dir));
    this.lockTimeoutMs = options.lockTimeoutMs ?? 30_000;
    this.compactAfterBytes = options.compactAfterBytes ?? 4 * 1024 * 1024;
    this.pollIntervalMs = options.pollIntervalMs ?? 50;
    this.load();
  }

  /** The oldest revision a new watch may start from. */
  get compactRevision(): number {
    return this.snapshotRevision + 1;
  }

  async get(key: string): Promise<KVPair | undefined> {
    this.assertOpen();
    this.catchUp();
    return this.state.get(key);
  }

  async list(prefix: string): Promise<KVList> {
    this.assertOpen();
    if (typeof prefix !== 'string') throw new TypeError(`list prefix must be a string, got ${JSON.stringify(prefix)}`);
    this.catchUp();
    return { items: this.state.list(prefix), revision: this.state.revision };
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

  /**
   * Writes a snapshot of the current state and starts a new log; revisions up to
   * the snapshot become unwatchable. Returns the oldest revision still watchable.
   */
  async compact(): Promise<number> {
    this.assertOpen();
    return this.locked(() => {
      this.catchUp();
      this.compactLocked();
      return this.compactRevision;
    });
  }

  watch(prefix: string, fromRevision: number, handlers: WatchHandlers): Watch {
    this.assertOpen();
    if (typeof prefix !== 'string') throw new TypeError(`watch prefix must be a string, got ${JSON.stringify(prefix)}`);
    if (!Number.isSafeInteger(fromRevision)) throw new TypeError(`watch fromRevision must be an integer, got ${JSON.stringify(fromRevision)}`);
    const w: Watcher = { prefix, requested: fromRevision, next: Math.max(1, fromRevision), started: false, active: true, handlers };
    this.watchers.add(w);
    this.startWatching();
    this.scheduleDeliver();
    return {
      cancel: async () => {
        this.removeWatcher(w);
      },
    };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const w of this.watchers) w.active = false;
    this.watchers.clear();
    this.stopWatching();
    if (this.fd >= 0) closeSync(this.fd);
    this.fd = -1;
  }

  // ---- writing ----

  private async commit(ops: readonly TxnOp[]): Promise<number> {
    this.assertOpen();
    return this.locked(() => {
      this.catchUp();
      const changes = this.state.plan(ops);
      if (changes.length === 0) return this.state.revision;
      const record: LogRecord = { revision: this.state.revision + 1, changes };
      this.append(record);
      if (this.offset > this.compactAfterBytes) this.compactLocked();
      return record.revision;
    });
  }

  /**
   * Runs `fn` holding the inter-process lock. `fn` is synchronous and runs right
   * after the lock is taken, so no other code of this process runs while it is held.
   */
  private async locked<T>(fn: () => T): Promise<T> {
    const deadline = Date.now() + this.lockTimeoutMs;
    let wait = 1;
    for (;;) {
      this.assertOpen();
      if (this.lock.tryAcquire()) {
        try {
          return fn();
        } finally {
          this.lock.release();
        }
      }
      if (Date.now() > deadline) throw new LockTimeoutError(lockPath(this.dir), this.lock.holder());
      await new Promise((r) => setTimeout(r, wait));
      wait = Math.min(wait * 2, 10);
    }
  }

  private append(record: LogRecord): void {
    // Drop a torn tail left by a writer that crashed mid-append (only safe under the lock).
    if (fstatSync(this.fd).size !== this.offset) {
      ftruncateSync(this.fd, this.offset);
    }
    const data = encodeRecord(record);
    writeAll(this.fd, data, this.offset);
    fdatasyncSync(this.fd);
    this.offset += data.length;
    this.applyRecord(record);
  }

  private compactLocked(): void {
    const next = this.gen + 1;
    const fd = writeSnapshot(this.dir, next, this.state);
    closeSync(this.fd);
    this.fd = fd;
    this.gen = next;
    this.offset = 0;
    this.snapshotRevision = this.state.revision;
    this.trimHistory();
    // Keep the previous generation one round longer, so a process that fell a
    // compaction behind can still read its way forward instead of re-listing.
    for (const path of obsoleteFiles(this.dir, next - 1)) {
      try {
        unlinkSync(path);
      } catch (err) {
        if (!isNotFound(err)) throw err;
      }
    }
    fsyncDir(this.dir);
  }

  // ---- reading the log ----

  /** Loads the newest generation from scratch (at open, or when this process fell behind a compaction). */
  private load(): void {
    for (let attempt = 0; ; attempt++) {
      const gen = latestGeneration(this.dir);
      const state = new KVState();
      let fd = -1;
      try {
        if (gen > 0) readSnapshot(snapshotPath(this.dir, gen), state);
        fd = openWal(walPath(this.dir, gen), gen === 0);
        if (gen === 0) fsyncDir(this.dir);
      } catch (err) {
        if (fd >= 0) closeSync(fd);
        // A concurrent compaction removed the generation we were reading: look again.
        if (isNotFound(err) && attempt < 10) continue;
        throw err;
      }
      if (this.fd >= 0) closeSync(this.fd);
      this.fd = fd;
      this.gen = gen;
      this.offset = 0;
      this.state = state;
      this.snapshotRevision = state.revision;
      this.history = [];
      this.readLog();
      return;
    }
  }

  /** Brings this process up to date with every record any process has committed. */
  private catchUp(): void {
    for (;;) {
      this.readLog();
      if (!this.compactedPast()) return;
      // A compaction started a newer generation; our wal is final now, so read its end.
      this.readLog();
      this.switchGeneration();
    }
  }

  /** True once another generation exists: the next snapshot, or (if we fell far behind) our wal was deleted. */
  private compactedPast(): boolean {
    return existsSync(snapshotPath(this.dir, this.gen + 1)) || fstatSync(this.fd).nlink === 0;
  }

  private switchGeneration(): void {
    const next = this.gen + 1;
    let fd = -1;
    try {
      const header = readSnapshotHeader(snapshotPath(this.dir, next));
      if (header.revision === this.state.revision) {
        fd = openWal(walPath(this.dir, next), false);
        closeSync(this.fd);
        this.fd = fd;
        this.gen = next;
        this.offset = 0;
        this.snapshotRevision = header.revision;
        this.trimHistory();
        return;
      }
    } catch (err) {
      if (fd >= 0) closeSync(fd);
      if (!isNotFound(err)) throw err;
    }
    // We cannot follow the log continuously: reload, and fail watchers that would miss events.
    this.load();
    this.failWatchersBefore(this.snapshotRevision + 1);
  }

  private readLog(): void {
    const size = fstatSync(this.fd).size;
    if (size <= this.offset) return;
    const buf = Buffer.alloc(size - this.offset);
    let got = 0;
    while (got < buf.length) {
      const n = readSync(this.fd, buf, got, buf.length - got, this.offset + got);
      if (n === 0) break;
      got += n;
    }
    const data = buf.subarray(0, got);
    let pos = 0;
    for (;;) {
      const r = decodeRecord(data, pos);
      if (r.kind === 'stop') break;
      if (r.record.revision !== this.state.revision + 1) {
        throw new CorruptLogError(walPath(this.dir, this.gen), `record at offset ${this.offset + pos} has revision ${r.record.revision}, expected ${this.state.revision + 1}`);
      }
      this.applyRecord(r.record);
      pos = r.next;
    }
    this.offset += pos;
  }

  private applyRecord(record: LogRecord): void {
    this.state.apply(record);
    this.history.push(record);
    if (this.watchers.size > 0) this.scheduleDeliver();
  }

  /**
   * History holds every record after the current snapshot (so a watch from any
   * unCompacted revision can replay), plus older ones running watches still need.
   */
  private trimHistory(): void {
    let need = this.snapshotRevision + 1;
    for (const w of this.watchers) need = Math.min(need, w.next);
    const keep = this.history.findIndex((r) => r.revision >= need);
    if (keep !== 0) this.history = keep < 0 ? [] : this.history.slice(keep);
  }

  // ---- watches ----

  private startWatching(): void {
    if (this.pollTimer) return;
    this.pollTimer = setInterval(() => this.scheduleDeliver(), this.pollIntervalMs);
    try {
      this.fsWatcher = fsWatch(this.dir, () => this.scheduleDeliver());
      this.fsWatcher.on('error', () => this.fsWatcher?.close());
    } catch {
      this.fsWatcher = undefined; // the poll alone still delivers
    }
  }

  private stopWatching(): void {
    if (this.pollTimer) clearInterval(this.pollTimer);
    this.pollTimer = undefined;
    this.fsWatcher?.close();
    this.fsWatcher = undefined;
    this.trimHistory();
  }

  private removeWatcher(w: Watcher): void {
    w.active = false;
    this.watchers.delete(w);
    if (this.watchers.size === 0) this.stopWatching();
  }

  private scheduleDeliver(): void {
    if (this.deliverScheduled || this.closed) return;
    this.deliverScheduled = true;
    setImmediate(() => {
      this.deliverScheduled = false;
      this.deliver();
    });
  }

  /** Ends watches that would miss events; reported later, as this may run inside a write. */
  private failWatchersBefore(oldest: number): void {
    for (const w of [...this.watchers]) {
      if (w.next < oldest) {
        this.removeWatcher(w);
        const err = new RevisionTooOldError(w.started ? w.next : w.requested, oldest);
        setImmediate(() => w.handlers.onError(err));
      }
    }
  }

  private deliver(): void {
    if (this.closed || this.watchers.size === 0) return;
    try {
      this.catchUp();
    } catch (err) {
      for (const w of [...this.watchers]) {
        this.removeWatcher(w);
        w.handlers.onError(err as Error);
      }
      return;
    }
    const historyStart = this.history[0]?.revision ?? this.state.revision + 1;
    for (const w of [...this.watchers]) {
      if (!w.active) continue;
      // A new watch honours the store-wide compaction point; a running one only needs our history.
      const tooOld = w.started ? w.next < historyStart && w.next <= this.state.revision : this.snapshotRevision > 0 && w.next <= this.snapshotRevision;
      if (tooOld) {
        this.removeWatcher(w);
        w.handlers.onError(new RevisionTooOldError(w.started ? w.next : w.requested, this.snapshotRevision + 1));
        continue;
      }
      w.started = true;
      const events: WatchEvent[] = [];
      for (const record of this.history) {
        if (record.revision < w.next) continue;
        for (const c of record.changes) {
          if (!c.key.startsWith(w.prefix)) continue;
          events.push(c.type === 'put' ? { type: 'put', key: c.key, value: c.value, modRevision: record.revision } : { type: 'delete', key: c.key, modRevision: record.revision });
        }
      }
      w.next = Math.max(w.next, this.state.revision + 1);
      if (events.length > 0) {
        try {
          w.handlers.onEvents(events);
        } catch (err) {
          setImmediate(() => {
            throw err; // a handler's bug surfaces like an EventEmitter listener's would
          });
        }
      }
    }
    this.trimHistory();
  }

  private assertOpen(): void {
    if (this.closed) throw new DatastoreClosedError();
  }
}
