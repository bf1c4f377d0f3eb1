// The behaviour every KVStore backend must show (src/datastore/kv.ts), as one tap
// suite run against each backend by test/datastore/<backend>.test.ts.
import type { Test } from 'tap';
import { KeyExistsError, KeyNotFoundError, RevisionConflictError, RevisionTooOldError, type KVStore, type WatchEvent } from '../../src/datastore/kv.js';

export interface KVBackend {
  /** A store for one subtest; keys the subtest uses start with the given prefix. */
  open(): Promise<KVStore>;
  /** Compacts history up to the store's current revision; returns the oldest revision still watchable. */
  compact(store: KVStore): Promise<number>;
}

/** Collects a watch's batches and errors, and lets a test wait for them. */
export class WatchRecorder {
  readonly batches: WatchEvent[][] = [];
  readonly errors: Error[] = [];
  private waiters: (() => void)[] = [];
  readonly handlers = {
    onEvents: (events: WatchEvent[]) => {
      this.batches.push(events);
      this.wake();
    },
    onError: (err: Error) => {
      this.errors.push(err);
      this.wake();
    },
  };

  get events(): WatchEvent[] {
    return this.batches.flat();
  }

  /** Resolves once `done()` holds; rejects with what was seen after `timeoutMs`. */
  async until(done: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!done()) {
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timed out waiting for ${what}; saw ${JSON.stringify(this.events)} errors ${this.errors.map((e) => e.message)}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, Math.min(left, 200));
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  untilEvents(n: number, timeoutMs?: number): Promise<void> {
    return this.until(() => this.events.length >= n, `${n} events`, timeoutMs);
  }

  untilError(timeoutMs?: number): Promise<void> {
    return this.until(() => this.errors.length > 0, 'a watch error', timeoutMs);
  }

  private wake(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }
}

/** The `key` of the error a failed call rejects with. */
const failedKey = (call: Promise<unknown>): Promise<string | undefined> =>
  call.then(
    () => undefined,
    (err: { key?: string }) => err.key,
  );

const brief = (events: WatchEvent[]) => events.map((e) => `${e.type} ${e.key}${e.value !== undefined ? '=' + e.value : ''}`);

export function kvContract(t: Test, backend: KVBackend): void {
  let n = 0;
  /** Opens a store and a key prefix unique to the subtest; closes the store at the end. */
  const setup = async (t: Test): Promise<{ s: KVStore; p: string }> => {
    const s = await backend.open();
    t.teardown(() => s.close());
    return { s, p: `/contract/${process.pid}-${Date.now()}-${n++}/` };
  };

  t.test('put modes and get', async (t) => {
    const { s, p } = await setup(t);
    const r1 = await s.put(p + 'a', '1', { mode: 'create' });
    t.type(r1, 'number');
    t.same(await s.get(p + 'a'), { key: p + 'a', value: '1', modRevision: r1, createRevision: r1 });
    await t.rejects(s.put(p + 'a', '2', { mode: 'create' }), KeyExistsError);
    t.equal(await failedKey(s.put(p + 'a', '2', { mode: 'create' })), p + 'a', 'the error names the key');
    await t.rejects(s.put(p + 'missing', '2', { mode: 'update' }), KeyNotFoundError);
    t.equal(await s.get(p + 'missing'), undefined, 'a failed update creates nothing');
    const r2 = await s.put(p + 'a', '2', { mode: 'update' });
    t.ok(r2 > r1, 'each change bumps the revision');
    t.same(await s.get(p + 'a'), { key: p + 'a', value: '2', modRevision: r2, createRevision: r1 });
    const r3 = await s.put(p + 'a', '3');
    const r4 = await s.put(p + 'b', 'x', { mode: 'upsert' });
    t.ok(r4 > r3 && r3 > r2);
    t.equal((await s.get(p + 'a'))?.value, '3', 'upsert updates');
    t.equal((await s.get(p + 'b'))?.createRevision, r4, 'upsert creates');
    t.equal((await s.list(p)).revision, r4, 'list is read at the latest revision');
  });

  t.test('expectModRevision', async (t) => {
    const { s, p } = await setup(t);
    const r1 = await s.put(p + 'k', 'v1');
    await t.rejects(s.put(p + 'k', 'v2', { expectModRevision: r1 + 100 }), RevisionConflictError);
    t.equal(await failedKey(s.put(p + 'k', 'v2', { expectModRevision: r1 + 100 })), p + 'k', 'the error names the key');
    const r2 = await s.put(p + 'k', 'v2', { expectModRevision: r1 });
    await t.rejects(s.put(p + 'k', 'v3', { expectModRevision: r1 }), RevisionConflictError, 'a stale revision conflicts');
    await t.rejects(s.delete(p + 'k', { expectModRevision: r1 }), RevisionConflictError);
    t.equal((await s.get(p + 'k'))?.value, 'v2');
    await s.put(p + 'new', 'n', { expectModRevision: 0 });
    t.equal((await s.get(p + 'new'))?.value, 'n', 'expectModRevision 0 means "absent"');
    await s.delete(p + 'k', { expectModRevision: r2 });
    t.equal(await s.get(p + 'k'), undefined);
  });

  t.test('delete', async (t) => {
    const { s, p } = await setup(t);
    const r1 = await s.put(p + 'k', 'v');
    await t.rejects(s.delete(p + 'nope', { mustExist: true }), KeyNotFoundError);
    t.equal(await failedKey(s.delete(p + 'nope', { mustExist: true })), p + 'nope', 'the error names the key');
    t.equal(await s.delete(p + 'nope'), r1, 'deleting a missing key changes nothing and returns the current revision');
    t.equal((await s.list(p)).revision, r1);
    const r2 = await s.delete(p + 'k', { mustExist: true });
    t.ok(r2 > r1);
    t.equal(await s.get(p + 'k'), undefined);
    t.same((await s.list(p)).items, []);
  });

  t.test('list is sorted by key and limited to the prefix', async (t) => {
    const { s, p } = await setup(t);
    for (const k of ['b/2', 'a', 'b/1', 'c', 'b/10', 'ab']) await s.put(p + k, k);
    await s.put(p.slice(0, -1) + 'x/other', 'outside');
    const all = await s.list(p);
    t.same(all.items.map((i) => i.key.slice(p.length)), ['a', 'ab', 'b/1', 'b/10', 'b/2', 'c']);
    t.same((await s.list(p + 'b/')).items.map((i) => i.value), ['b/1', 'b/10', 'b/2']);
    t.same((await s.list(p + 'zzz')).items, []);
    const last = all.items.reduce((m, i) => Math.max(m, i.modRevision), 0);
    t.ok(all.revision >= last, 'the list revision covers every item');
  });

  t.test('txn is all or nothing', async (t) => {
    const { s, p } = await setup(t);
    const r0 = await s.put(p + 'exists', 'e');
    await t.rejects(
      s.txn([
        { op: 'put', key: p + 'x', value: '1' },
        { op: 'delete', key: p + 'exists' },
        { op: 'put', key: p + 'exists2', value: '2', mode: 'update' },
      ]),
      KeyNotFoundError,
    );
    t.same((await s.list(p)).items.map((i) => i.key), [p + 'exists'], 'a failed txn writes nothing');
    t.equal((await s.list(p)).revision, r0, 'a failed txn does not bump the revision');
    const r1 = await s.txn([
      { op: 'put', key: p + 'x', value: '1', mode: 'create' },
      { op: 'put', key: p + 'y', value: '2' },
      { op: 'delete', key: p + 'exists', mustExist: true, expectModRevision: r0 },
    ]);
    t.ok(r1 > r0);
    const items = (await s.list(p)).items;
    t.same(items.map((i) => [i.key.slice(p.length), i.value, i.modRevision]), [['x', '1', r1], ['y', '2', r1]], 'one revision for the whole txn');
    await s.put(p + 'dir/a', 'a');
    await s.put(p + 'dir/b', 'b');
    await s.put(p + 'dirx', 'kept');
    await s.txn([{ op: 'deletePrefix', prefix: p + 'dir/' }, { op: 'put', key: p + 'z', value: 'z' }]);
    t.same((await s.list(p)).items.map((i) => i.key.slice(p.length)), ['dirx', 'x', 'y', 'z']);
    const rev = (await s.list(p)).revision;
    t.equal(await s.txn([{ op: 'deletePrefix', prefix: p + 'none/' }]), rev, 'a txn that changes nothing returns the current revision');
  });

  t.test('bad input is refused before anything is written', async (t) => {
    const { s, p } = await setup(t);
    const rev = (await s.list(p)).revision;
    await t.rejects(s.put('', 'v'), /key must be a non-empty string/);
    await t.rejects(s.put(p + 'k', 'v', { mode: 'bogus' as 'create' }), /mode must be one of create, update, upsert, got "bogus"/);
    await t.rejects(s.put(p + 'k', 'v', { expectModRevision: -1 }), /expectModRevision must be a non-negative integer, got -1/);
    await t.rejects(s.put(p + 'k', 42 as unknown as string), /value for .* must be a string/);
    await t.rejects(s.txn([{ op: 'put', key: p + 'k', value: '1' }, { op: 'put', key: p + 'k', value: '2' }]), /written twice/);
    await t.rejects(s.txn([{ op: 'deletePrefix', prefix: p }, { op: 'put', key: p + 'k', value: '2' }]), /both written and deleted/);
    t.equal((await s.list(p)).revision, rev);
    t.same((await s.list(p)).items, []);
  });

  t.test('watch delivers changes in order, one txn per batch or more, never split', async (t) => {
    const { s, p } = await setup(t);
    await s.put(p + 'before', 'old');
    const start = await s.list(p);
    const rec = new WatchRecorder();
    const w = s.watch(p, start.revision + 1, rec.handlers);
    t.teardown(() => w.cancel());
    const r1 = await s.put(p + 'a', '1');
    await s.put('/elsewhere' + p, 'not watched');
    const r2 = await s.txn([
      { op: 'put', key: p + 'b', value: '2' },
      { op: 'put', key: p + 'c', value: '3' },
      { op: 'delete', key: p + 'a' },
    ]);
    const r3 = await s.delete(p + 'before');
    await rec.untilEvents(5);
    t.same(brief(rec.events), [`put ${p}a=1`, `put ${p}b=2`, `put ${p}c=3`, `delete ${p}a`, `delete ${p}before`]);
    t.same(rec.events.map((e) => e.modRevision), [r1, r2, r2, r2, r3]);
    for (const batch of rec.batches) {
      const revs = new Set(batch.map((e) => e.modRevision));
      for (const other of rec.batches) if (other !== batch) t.notOk(other.some((e) => revs.has(e.modRevision)), 'a revision is never split across batches');
    }
    t.same(rec.errors, []);
  });

  t.test('watch from an earlier revision replays history; cancel stops delivery', async (t) => {
    const { s, p } = await setup(t);
    const r1 = await s.put(p + 'x', '1');
    await s.put(p + 'y', '2');
    await s.put(p + 'x', '3');
    const rec = new WatchRecorder();
    const w = s.watch(p, r1 + 1, rec.handlers);
    await rec.untilEvents(2);
    t.same(brief(rec.events), [`put ${p}y=2`, `put ${p}x=3`]);
    await w.cancel();
    const rz = await s.put(p + 'z', 'after cancel');
    const probe = new WatchRecorder();
    const w2 = s.watch(p + 'z', rz, probe.handlers);
    await probe.untilEvents(1);
    await w2.cancel();
    t.equal(rec.events.length, 2, 'a cancelled watch reports nothing more');
    t.same(rec.errors, []);
  });

  t.test('watch from a compacted revision fails with RevisionTooOldError, then re-list and watch', async (t) => {
    const { s, p } = await setup(t);
    const r1 = await s.put(p + 'k', '1');
    await s.put(p + 'k', '2');
    await s.put(p + 'k', '3');
    const oldest = await backend.compact(s);
    t.ok(oldest > r1, 'compaction moved past the first write');
    const rec = new WatchRecorder();
    s.watch(p, r1, rec.handlers);
    await rec.untilError();
    const err = rec.errors[0]!;
    t.type(err, RevisionTooOldError);
    t.match(err, { requested: r1, compactRevision: oldest });
    t.same(rec.events, []);
    // The recovery the contract prescribes.
    const list = await s.list(p);
    t.same(list.items.map((i) => i.value), ['3']);
    const again = new WatchRecorder();
    const w = s.watch(p, list.revision + 1, again.handlers);
    t.teardown(() => w.cancel());
    await s.put(p + 'k', '4');
    await again.untilEvents(1);
    t.same(brief(again.events), [`put ${p}k=4`]);
    t.same(again.errors, []);
  });
}
