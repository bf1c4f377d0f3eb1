import t from 'tap';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { RevisionTooOldError } from '../../src/datastore/kv.js';
import { openEtcdStore } from '../../src/datastore/etcd/store.js';
import { openDatastore } from '../../src/datastore/open.js';
import { etcdUnavailable, startEtcd } from '../helpers/etcd.js';
import { kvContract, WatchRecorder } from '../helpers/kv-contract.js';
import { repoRoot } from '../helpers/paths.js';

const unavailable = etcdUnavailable();
if (unavailable) {
  t.plan(0, `skipping etcd tests: ${unavailable}`);
} else {
  const etcd = await startEtcd(t);

  t.test('KV contract', async (t) => {
    kvContract(t, {
      open: () => openDatastore({ ETCD_ENDPOINTS: etcd.endpoints }),
      compact: async (s) => {
        const rev = (await s.list('/')).revision;
        await etcd.compact(rev);
        return rev;
      },
    });
  });

  t.test('a watch reports losing etcd; after a restart, writes persist and re-list + re-watch works, also past a compaction', async (t) => {
    const s = await openEtcdStore(etcd.endpoints);
    t.teardown(() => s.close());
    const r1 = await s.put('/outage/a', '1');
    const rec = new WatchRecorder();
    s.watch('/outage/', r1 + 1, rec.handlers);
    await s.put('/outage/b', '2');
    await rec.untilEvents(1);
    await etcd.kill9();
    await rec.untilError(20_000);
    t.notOk(rec.errors[0] instanceof RevisionTooOldError, `connection loss is reported: ${rec.errors[0]?.message}`);
    await t.rejects(s.get('/outage/a'), 'requests fail while etcd is down');
    const whileDown = new WatchRecorder();
    s.watch('/outage/', r1, whileDown.handlers);
    await whileDown.untilError(20_000);
    t.pass(`a watch started while etcd is down reports it: ${whileDown.errors[0]?.message}`);
    await etcd.restart();
    let seen = 0;
    for (let i = 0; ; i++) {
      try {
        seen = (await s.list('/outage/')).revision;
        break;
      } catch (err) {
        if (i > 100) throw err;
        await new Promise((r) => setTimeout(r, 100));
      }
    }
    t.same((await s.list('/outage/')).items.map((i) => i.value), ['1', '2'], 'acknowledged writes survived the crash');
    // While "cut off", others write and compact past what the watcher saw.
    await s.put('/outage/c', '3');
    const now = await s.put('/outage/c', '4');
    await etcd.compact(now);
    const stale = new WatchRecorder();
    s.watch('/outage/', seen + 1, stale.handlers);
    await stale.untilError();
    t.type(stale.errors[0], RevisionTooOldError);
    t.match(stale.errors[0], { requested: seen + 1, compactRevision: now });
    const list = await s.list('/outage/');
    t.same(list.items.map((i) => i.value), ['1', '2', '4']);
    const fresh = new WatchRecorder();
    const w = s.watch('/outage/', list.revision + 1, fresh.handlers);
    t.teardown(() => w.cancel());
    await s.delete('/outage/a');
    await fresh.untilEvents(1);
    t.same(fresh.events.map((e) => [e.type, e.key]), [['delete', '/outage/a']]);
  });

  t.test('a listing in growing pages returns every key once, in order, at one revision', async (t) => {
    // Pages start at 7 keys and grow (7, 28, 112, ...): the listing crosses many page ends.
    const s = await openEtcdStore(etcd.endpoints, { pageSize: 7, maxPageSize: 500 });
    t.teardown(() => s.close());
    const keys = Array.from({ length: 2500 }, (_, i) => `/paged/${String(i).padStart(5, '0')}`);
    let last = 0;
    for (let i = 0; i < keys.length; i += 100) {
      last = await s.txn(keys.slice(i, i + 100).map((key, j) => ({ op: 'put' as const, key, value: 'v'.repeat((i + j) % 300) })));
    }
    await s.put('/pagez', 'outside the prefix');
    const list = await s.list('/paged/');
    t.equal(list.items.length, keys.length, 'every key');
    t.same(list.items.map((i) => i.key), keys, 'once each, in key order');
    t.ok(list.items.every((item, i) => item.value.length === i % 300), 'each with its own value');
    t.ok(list.revision > last, `one revision for the whole listing (${list.revision})`);
  });

  t.test('a page larger than the gRPC receive limit is asked for again in fewer keys', async (t) => {
    const s = await openEtcdStore(etcd.endpoints, { pageSize: 100, maxReceiveBytes: 64 * 1024 });
    t.teardown(() => s.close());
    const keys = Array.from({ length: 120 }, (_, i) => `/big/${String(i).padStart(3, '0')}`);
    for (let i = 0; i < keys.length; i += 40) {
      await s.txn(keys.slice(i, i + 40).map((key) => ({ op: 'put' as const, key, value: 'x'.repeat(2048) })));
    }
    const list = await s.list('/big/');
    t.same(list.items.map((i) => i.key), keys, '120 values of 2 KiB through a 64 KiB limit');
    await s.put('/huge/one', 'x'.repeat(100 * 1024));
    await t.rejects(s.list('/huge/'), /larger than max/, 'one value above the limit fails the listing, naming the cause');
  });

  t.test('close() releases everything: a process that used a watch exits on its own', async (t) => {
    const fromSource = import.meta.url.endsWith('.ts');
    const script = fromSource ? join(repoRoot(), 'test', 'datastore', 'etcd-child.ts') : join(repoRoot(), 'dist', 'test', 'datastore', 'etcd-child.js');
    const child = spawn(process.execPath, [...process.execArgv, script, etcd.endpoints], { stdio: ['ignore', 'pipe', 'pipe'] });
    t.teardown(() => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    const hung = setTimeout(() => child.kill('SIGKILL'), 30_000);
    const [code, signal] = await new Promise<[number | null, string | null]>((resolve) => child.on('close', (c, s) => resolve([c, s])));
    clearTimeout(hung);
    t.equal(signal, null, `the process exited by itself (${out})`);
    t.equal(code, 0, out);
    t.match(out, /closed/);
  });
}
