import t from 'tap';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { appendFileSync, existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { openEmbeddedStore, type EmbeddedStore } from '../../src/datastore/embedded/store.js';
import { LockTimeoutError } from '../../src/datastore/embedded/lock.js';
import { defaultDataDir, openDatastore } from '../../src/datastore/open.js';
import { RevisionTooOldError } from '../../src/datastore/kv.js';
import { kvContract, WatchRecorder } from '../helpers/kv-contract.js';
import { repoRoot } from '../helpers/paths.js';

const dirs: string[] = [];
function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'tabby-kv-'));
  dirs.push(dir);
  return dir;
}
t.teardown(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

// ---- child processes (test/datastore/embedded-child.ts, or its build in dist/) ----

const children = new Set<ChildProcess>();
t.teardown(() => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
});

interface Ack {
  i: number;
  revision: number;
  at: number;
}

interface Child {
  proc: ChildProcess;
  acks: Ack[];
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }>;
}

function childScript(): string {
  const fromSource = import.meta.url.endsWith('.ts');
  return fromSource ? join(repoRoot(), 'test', 'datastore', 'embedded-child.ts') : join(repoRoot(), 'dist', 'test', 'datastore', 'embedded-child.js');
}

function runChild(args: string[]): Child {
  const proc = spawn(process.execPath, [...process.execArgv, childScript(), ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  children.add(proc);
  const acks: Ack[] = [];
  let out = '';
  let stderr = '';
  proc.stdout!.on('data', (d: Buffer) => {
    out += d.toString();
    let nl: number;
    while ((nl = out.indexOf('\n')) >= 0) {
      const m = /^ack (\d+) (\d+) (\d+)$/.exec(out.slice(0, nl));
      if (m) acks.push({ i: Number(m[1]), revision: Number(m[2]), at: Number(m[3]) });
      out = out.slice(nl + 1);
    }
  });
  proc.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }>((resolve) =>
    proc.on('close', (code, signal) => {
      children.delete(proc);
      resolve({ code, signal, stderr });
    }),
  );
  return { proc, acks, exited };
}

async function until(cond: () => boolean, what: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

// ---- the shared contract ----

t.test('KV contract', async (t) => {
  kvContract(t, {
    open: () => openEmbeddedStore(tempDir()),
    compact: (s) => (s as EmbeddedStore).compact(),
  });
});

// ---- embedded-specific behaviour ----

t.test('writes survive close and reopen, revisions continue, compaction keeps data', async (t) => {
  const dir = tempDir();
  const a = await openEmbeddedStore(dir, { compactAfterBytes: 2048 });
  let last = 0;
  for (let i = 0; i < 60; i++) last = await a.put(`/k/${i % 7}`, `v${i}`);
  await a.delete('/k/0');
  await a.close();
  t.ok(readdirSync(dir).some((f) => /^snapshot\.\d+$/.test(f)), 'the log was compacted into a snapshot');
  const b = await openEmbeddedStore(dir);
  t.teardown(() => b.close());
  const list = await b.list('/k/');
  t.equal(list.revision, last + 1);
  t.same(list.items.map((i) => [i.key, i.value]), [1, 2, 3, 4, 5, 6].map((k) => [`/k/${k}`, `v${56 + k - (k > 3 ? 7 : 0)}`]));
  t.equal(await b.put('/k/9', 'x'), last + 2);
  await t.rejects(a.get('/k/1'), /datastore is closed/);
});

t.test('a torn record at the end of the log is ignored, then overwritten', async (t) => {
  const dir = tempDir();
  const a = await openEmbeddedStore(dir);
  await a.put('/a', '1');
  await a.put('/b', '2');
  await a.close();
  appendFileSync(join(dir, 'wal.0'), 'T1 120 0123456789abcdef\n{"revision":3,"changes":[{"type":"put","ke');
  const b = await openEmbeddedStore(dir);
  t.same((await b.list('/')).items.map((i) => i.value), ['1', '2']);
  t.equal((await b.list('/')).revision, 2);
  t.equal(await b.put('/c', '3'), 3);
  await b.close();
  const c = await openEmbeddedStore(dir);
  t.teardown(() => c.close());
  t.same((await c.list('/')).items.map((i) => [i.value, i.modRevision]), [['1', 1], ['2', 2], ['3', 3]]);
});

t.test('the lock: a dead holder is broken, a live one is waited for', async (t) => {
  const dir = tempDir();
  const s = await openEmbeddedStore(dir, { lockTimeoutMs: 300 });
  t.teardown(() => s.close());
  writeFileSync(join(dir, 'lock'), '999999999 1\n'); // no such process
  t.equal(await s.put('/a', '1'), 1);
  t.notOk(existsSync(join(dir, 'lock')), 'the lock is released after the write');
  const holder = spawn('sleep', ['30'], { stdio: 'ignore' });
  children.add(holder);
  t.teardown(() => holder.kill('SIGKILL'));
  writeFileSync(join(dir, 'lock'), `${holder.pid}\n`);
  await t.rejects(s.put('/b', '2'), LockTimeoutError);
  await t.rejects(s.put('/b', '2'), new RegExp(`held by ${holder.pid}`));
  t.equal(await s.get('/b'), undefined);
  holder.kill('SIGKILL');
  await new Promise((r) => holder.once('close', r));
  t.equal(await s.put('/b', '2'), 2, 'the lock of a killed holder is recovered');
});

t.test('two processes writing at once lose nothing', async (t) => {
  const dir = tempDir();
  const count = 120;
  const kids = ['p', 'q'].map((tag) => runChild(['writer', dir, tag, String(count)]));
  for (const k of kids) {
    const r = await k.exited;
    t.equal(r.code, 0, r.stderr);
  }
  const s = await openEmbeddedStore(dir);
  t.teardown(() => s.close());
  for (const tag of ['p', 'q']) {
    const items = (await s.list(`/w/${tag}/`)).items;
    t.equal(items.length, count, `every write of ${tag} is there`);
    t.ok(items.every((i) => i.value === `v${i.key.split('/').pop()}`));
  }
  t.equal((await s.get('/counter'))?.value, String(2 * count), 'compare-and-swap increments from two processes all count');
  const revs = kids.flatMap((k) => k.acks.map((a) => a.revision));
  t.equal(new Set(revs).size, revs.length, 'revisions are store-wide: no two writes share one');
  // Every write made exactly one revision: count puts plus count increments per process.
  t.equal((await s.list('/')).revision, 4 * count);
});

t.test('a writer killed with SIGKILL at random moments loses no acknowledged write', async (t) => {
  const dir = tempDir();
  for (let round = 0; round < 3; round++) {
    const child = runChild(['forever', dir, `r${round}`, '8192']); // small log: compactions happen during the loop too
    const want = 20 + Math.floor(Math.random() * 120);
    await until(() => child.acks.length >= want, `${want} acknowledged writes`);
    await new Promise((r) => setTimeout(r, Math.random() * 20));
    child.proc.kill('SIGKILL');
    const r = await child.exited;
    t.equal(r.signal, 'SIGKILL', r.stderr);
    const s = await openEmbeddedStore(dir);
    const items = new Map((await s.list(`/w/r${round}/`)).items.map((i) => [i.key, i.value]));
    const lost = child.acks.filter((a) => items.get(`/w/r${round}/${a.i}`) !== `v${a.i}`);
    t.same(lost, [], `round ${round}: all ${child.acks.length} acknowledged writes are there`);
    const lastAck = child.acks[child.acks.length - 1]!.revision;
    t.ok((await s.list('/')).revision >= lastAck);
    const rev = await s.put('/after-crash', String(round));
    t.ok(rev > lastAck, 'the store takes writes again');
    await s.close();
  }
});

t.test('another process watching sees every change, across compactions, within 100 ms', async (t) => {
  const dir = tempDir();
  const s = await openEmbeddedStore(dir);
  t.teardown(() => s.close());
  const start = (await s.list('/')).revision;
  const rec = new WatchRecorder();
  const seenAt = new Map<string, number>();
  const w = s.watch('/w/', start + 1, {
    onEvents: (events) => {
      for (const e of events) seenAt.set(e.key, Date.now());
      rec.handlers.onEvents(events);
    },
    onError: rec.handlers.onError,
  });
  t.teardown(() => w.cancel());
  const count = 150;
  const child = runChild(['writer', dir, 'x', String(count), '16384']);
  const r = await child.exited;
  t.equal(r.code, 0, r.stderr);
  await rec.untilEvents(count);
  t.same(rec.errors, []);
  t.same(rec.events.map((e) => e.key), Array.from({ length: count }, (_, i) => `/w/x/${i}`), 'every put, in order');
  t.same(rec.events.map((e) => e.modRevision), child.acks.map((a) => a.revision));
  t.ok(readdirSync(dir).some((f) => /^snapshot\.\d+$/.test(f)), 'the writer compacted meanwhile');
  const latencies = child.acks.map((a) => seenAt.get(`/w/x/${a.i}`)! - a.at).sort((x, y) => x - y);
  const median = latencies[Math.floor(latencies.length / 2)]!;
  t.ok(median <= 100, `median delivery latency ${median} ms (max ${latencies[latencies.length - 1]} ms) is within 100 ms`);
});

t.test('a process that falls several compactions behind reloads; its watch reports RevisionTooOldError', async (t) => {
  const dir = tempDir();
  const idle = await openEmbeddedStore(dir);
  const watching = await openEmbeddedStore(dir);
  t.teardown(() => idle.close());
  t.teardown(() => watching.close());
  const r1 = await watching.put('/w/first', '1');
  const rec = new WatchRecorder();
  watching.watch('/w/', r1, rec.handlers);
  await rec.untilEvents(1);
  // Block this process's event loop while another process writes and compacts three times.
  const r = spawnSync(process.execPath, [...process.execArgv, childScript(), 'compactions', dir, '3'], { encoding: 'utf8' });
  t.equal(r.status, 0, r.stderr);
  await rec.untilError();
  t.type(rec.errors[0], RevisionTooOldError);
  t.match(rec.errors[0], { requested: r1 + 1 });
  const want = ['v0', 'v1', 'v2', '1']; // /w/c/0..2, then /w/first
  t.same((await idle.list('/w/')).items.map((i) => i.value), want, 'an idle instance catches up too');
  const list = await watching.list('/w/');
  t.same(list.items.map((i) => i.value), want);
  const again = new WatchRecorder();
  watching.watch('/w/', list.revision + 1, again.handlers);
  await idle.put('/w/next', 'n');
  await again.untilEvents(1);
  t.same(again.events.map((e) => e.value), ['n']);
});

t.test('openDatastore chooses the embedded store and checks ETCD_ENDPOINTS', async (t) => {
  const dir = join(tempDir(), 'nested', 'store');
  const s = await openDatastore({ TABBY_DATA_DIR: dir });
  await s.put('/x', 'y');
  await s.close();
  t.ok(existsSync(join(dir, 'wal.0')), 'the directory is created');
  await t.rejects(openDatastore({ ETCD_ENDPOINTS: 'not a url' }), /ETCD_ENDPOINTS="not a url": endpoint "not a url" is not a URL/);
  await t.rejects(openDatastore({ ETCD_ENDPOINTS: 'http://127.0.0.1:2379,ftp://h:1' }), /ETCD_ENDPOINTS="http:\/\/127.0.0.1:2379,ftp:\/\/h:1": endpoint "ftp:\/\/h:1" must be http:\/\/host:port/);
  await t.rejects(openDatastore({ ETCD_ENDPOINTS: ' , ' }), /ETCD_ENDPOINTS=" , ": expected at least one endpoint/);
  const root = process.getuid?.() === 0;
  t.equal(defaultDataDir({ HOME: '/home/u' }), root ? '/var/lib/tabby' : '/home/u/.local/share/tabby');
  t.ok(homedir());
});
