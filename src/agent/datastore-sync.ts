// Keeps the agent in step with the datastore: list everything under the prefix, then watch
// from the list's revision + 1. When the watch fails the rules already in the kernel stay as
// they are; this waits (with backoff) until the store answers again and watches on from the
// last revision it saw, so nothing is missed. When that revision has been compacted away it
// lists again and hands over a fresh snapshot.
import { RevisionTooOldError, type KVList, type KVStore, type Watch, type WatchEvent } from '../datastore/kv.js';
import { Backoff } from './backoff.js';
import type { AgentLogger } from './logger.js';
import { realTimers, type Timers } from './timers.js';

export interface SyncHandlers {
  /** The whole contents under the prefix at one revision: replaces everything seen before. */
  onSnapshot(list: KVList, reason: SnapshotReason): void;
  /** Changes after the last snapshot or batch, in revision order. */
  onEvents(events: WatchEvent[]): void;
}

export type SnapshotReason = 'start' | 'compacted';

export interface DatastoreSyncOptions {
  prefix: string;
  backoff: { initialMs: number; maxMs: number };
  log: AgentLogger;
  timers?: Timers;
}

export class DatastoreSync {
  private readonly backoff: Backoff;
  private readonly timers: Timers;
  private watch: Watch | undefined;
  /** Bumped for every watch started, so callbacks of an abandoned watch are ignored. */
  private generation = 0;
  private lastRevision = 0;
  private timer: unknown;
  private stopped = false;
  private watchStartedAt = 0;

  constructor(private readonly store: KVStore, private readonly handlers: SyncHandlers, private readonly options: DatastoreSyncOptions) {
    this.backoff = new Backoff(options.backoff.initialMs, options.backoff.maxMs);
    this.timers = options.timers ?? realTimers;
  }

  /** The revision of the last snapshot or event seen. */
  get revision(): number {
    return this.lastRevision;
  }

  start(): void {
    void this.connect('start');
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.generation++;
    if (this.timer !== undefined) this.timers.clearTimeout(this.timer);
    const w = this.watch;
    this.watch = undefined;
    await w?.cancel().catch(() => undefined);
  }

  /** Lists (when `relist`) or checks the store answers, then watches; retries with backoff. */
  private async connect(relist: SnapshotReason | false): Promise<void> {
    if (this.stopped) return;
    const { log, prefix } = this.options;
    try {
      if (relist !== false) {
        const list = await this.store.list(prefix);
        if (this.stopped) return;
        this.lastRevision = list.revision;
        log.info({ revision: list.revision, keys: list.items.length, reason: relist }, 'datastore listed');
        this.handlers.onSnapshot(list, relist);
      } else {
        // Cheap round trip: is the store back?
        await this.store.get(prefix);
        if (this.stopped) return;
        log.info({ fromRevision: this.lastRevision + 1 }, 'datastore reachable again; resuming the watch');
      }
    } catch (err) {
      this.retryLater(relist, err as Error);
      return;
    }
    this.startWatch();
  }

  private retryLater(relist: SnapshotReason | false, err: Error): void {
    if (this.stopped) return;
    const wait = this.backoff.next();
    this.options.log.warn({ err: err.message, retryInMs: wait, attempt: this.backoff.attempts },
      'datastore unavailable; the rules in the kernel stay in force');
    this.timer = this.timers.setTimeout(() => {
      this.timer = undefined;
      void this.connect(relist);
    }, wait);
  }

  private startWatch(): void {
    const gen = ++this.generation;
    this.watchStartedAt = this.timers.now();
    try {
      this.watch = this.openWatch(gen);
    } catch (err) {
      this.retryLater(false, err as Error);
    }
  }

  private openWatch(gen: number): Watch {
    return this.store.watch(this.options.prefix, this.lastRevision + 1, {
      onEvents: (events) => {
        if (gen !== this.generation || events.length === 0) return;
        this.backoff.reset();
        for (const e of events) if (e.modRevision > this.lastRevision) this.lastRevision = e.modRevision;
        this.handlers.onEvents(events);
      },
      onError: (err) => {
        if (gen !== this.generation || this.stopped) return;
        this.generation++;
        const w = this.watch;
        this.watch = undefined;
        void w?.cancel().catch(() => undefined);
        // A watch that lived a while was a working connection: start the backoff afresh.
        if (this.timers.now() - this.watchStartedAt > this.options.backoff.maxMs) this.backoff.reset();
        if (err instanceof RevisionTooOldError) {
          this.options.log.warn({ requested: err.requested, compactRevision: err.compactRevision },
            'datastore compacted past our revision; listing again');
          void this.connect('compacted');
          return;
        }
        this.retryLater(false, err);
      },
    });
  }
}
