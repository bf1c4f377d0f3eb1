// In-process pieces for daemon tests that need no root: a KV store whose connection a test can
// cut and restore, a dataplane that records what it was asked to apply (and can fail), a log
// captured as parsed JSON lines, and a datastore filled from resources.
import type { Logger } from 'pino';
import type { Ruleset } from '../../compiler/ruleset.js';
import { createAgentLogger } from '../../src/agent/logger.js';
import type { KVStore, Watch, WatchHandlers } from '../../src/datastore/kv.js';
import type { ApplyOptions, ApplyResult, Dataplane } from '../../dataplane/dataplane.js';
import { CommandError } from '../../dataplane/runner.js';
import { resourceToKV } from '../../src/model/storage.js';
import type { Resource } from '../../src/model/types.js';
import { memoryKV, type MemoryKV } from '../helpers/memory-kv.js';

/** A MemoryKV behind a connection that can go down: calls fail and live watches end with an error. */
export class FlakyKV implements KVStore {
  readonly inner: MemoryKV;
  private down = false;
  private readonly live = new Set<{ handlers: WatchHandlers; inner: Watch; dead: boolean }>();

  constructor(inner: MemoryKV = memoryKV()) {
    this.inner = inner;
  }

  cut(): void {
    this.down = true;
    for (const w of this.live) {
      w.dead = true;
      void w.inner.cancel();
      w.handlers.onError(new Error('connection to the datastore lost'));
    }
    this.live.clear();
  }

  restore(): void {
    this.down = false;
  }

  private check(): void {
    if (this.down) throw new Error('datastore unreachable');
  }

  async get(key: string) { this.check(); return this.inner.get(key); }
  async list(prefix: string) { this.check(); return this.inner.list(prefix); }
  async put(key: string, value: string, opts?: Parameters<KVStore['put']>[2]) { return this.inner.put(key, value, opts); }
  async delete(key: string, opts?: Parameters<KVStore['delete']>[1]) { return this.inner.delete(key, opts); }
  async txn(ops: Parameters<KVStore['txn']>[0]) { return this.inner.txn(ops); }
  async close() { /* the test owns the store */ }

  watch(prefix: string, fromRevision: number, handlers: WatchHandlers): Watch {
    if (this.down) {
      queueMicrotask(() => handlers.onError(new Error('datastore unreachable')));
      return { cancel: async () => undefined };
    }
    const entry = {
      handlers,
      dead: false,
      inner: undefined as unknown as Watch,
    };
    entry.inner = this.inner.watch(prefix, fromRevision, {
      onEvents: (e) => { if (!entry.dead) handlers.onEvents(e); },
      onError: (err) => { if (!entry.dead) { entry.dead = true; this.live.delete(entry); handlers.onError(err); } },
    });
    this.live.add(entry);
    return { cancel: async () => { entry.dead = true; this.live.delete(entry); await entry.inner.cancel(); } };
  }

  /** Writes resources the way calicoctl stores them. */
  async putResources(...resources: Resource[]): Promise<void> {
    for (const r of resources) for (const { key, value } of resourceToKV(r)) await this.inner.put(key, value);
  }
}

export interface RecordedApply {
  ruleset: Ruleset;
  useCache: boolean;
  endpoints: string[];
}

/** A dataplane that remembers every apply; `failures` makes the next applies throw. */
export class RecordingDataplane implements Dataplane {
  readonly applies: RecordedApply[] = [];
  invalidations = 0;
  failures = 0;
  private cacheValid = false;

  constructor(readonly ipVersion: 4 | 6 = 4) {}

  async apply(desired: Ruleset, options: ApplyOptions = {}): Promise<ApplyResult> {
    if (this.failures > 0) {
      this.failures--;
      this.cacheValid = false;
      throw new CommandError('iptables-restore', ['--noflush'], 1, '', 'iptables-restore: line 3 failed');
    }
    this.applies.push({
      ruleset: desired,
      useCache: Boolean(options.useCache) && this.cacheValid,
      endpoints: [...(options.endpoints ?? [])].map((e) => e.interfaceName),
    });
    this.cacheValid = true;
    return {
      iptables: { input: '', chainsCreated: [], chainsRewritten: [], chainsDeleted: [], chainsKeptReferenced: [], hookChanges: [] },
      ipSets: { preInput: '', postInput: '', created: [], updated: [], swapped: [], destroyed: [] },
      changed: true,
      attempts: 1,
      chainsTouched: [],
    } as unknown as ApplyResult;
  }

  get last(): RecordedApply | undefined {
    return this.applies[this.applies.length - 1];
  }

  chainNames(): string[] {
    return (this.last?.ruleset.chains ?? []).map((c) => c.name);
  }

  invalidate(): void {
    this.invalidations++;
    this.cacheValid = false;
  }

  backend(): never { throw new Error('not used'); }
  readState(): never { throw new Error('not used'); }
  plan(): never { throw new Error('not used'); }
  diff(): never { throw new Error('not used'); }
  syncEndpoints(): never { throw new Error('not used'); }
  readPlumbing(): never { throw new Error('not used'); }
}

/** A pino logger writing parsed lines into an array. */
export function captureLogger(): { logger: Logger; lines: Record<string, unknown>[] } {
  const lines: Record<string, unknown>[] = [];
  const logger = createAgentLogger('debug', { write: (s: string) => { lines.push(JSON.parse(s) as Record<string, unknown>); } });
  return { logger, lines };
}

/** Polls until `cond` holds; fails after `timeoutMs` (a bound on waiting, not a latency claim). */
export async function waitFor(what: string, cond: () => boolean | Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await cond()) return;
    if (Date.now() > deadline) throw new Error(`timed out waiting for: ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}
