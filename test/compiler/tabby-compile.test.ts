// `tabby compile`: reads the datastore, prints restore, ipset or JSON output
// for the node chosen by --node, NODENAME or the host name.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { compileRuleset } from '../../compiler/compile.js';
import { renderIpsetRestore, renderRestore } from '../../compiler/restore.js';
import { main, type TabbyContext } from '../../src/cli/tabby.js';
import type { KVList, KVStore } from '../../src/datastore/kv.js';
import { openDatastore } from '../../src/datastore/open.js';
import { scenarioKVs, scenarioState } from './scenarios.js';

/** A read-only store holding the given pairs (list and close are all compile uses). */
function memoryStore(kvs: Map<string, string>): KVStore & { closed: boolean } {
  const store = {
    closed: false,
    async list(prefix: string): Promise<KVList> {
      const items = [...kvs].filter(([k]) => k.startsWith(prefix)).sort(([a], [b]) => (a < b ? -1 : 1)).map(([key, value], i) => ({ key, value, modRevision: i + 1, createRevision: i + 1 }));
      return { items, revision: items.length };
    },
    async close(): Promise<void> {
      store.closed = true;
    },
  };
  return store as unknown as KVStore & { closed: boolean };
}

async function runTabby(argv: string[], ctx: Partial<TabbyContext>): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const code = await main(argv, { stdout: { write: (s: string) => (stdout += s) }, stderr: { write: (s: string) => (stderr += s) }, env: {}, hostname: () => 'host-01', ...ctx });
  return { code, stdout, stderr };
}

const scenario = 'seed-002-b-policies';

t.test('formats', async (t) => {
  const kvs = scenarioKVs(scenario);
  const state = scenarioState(scenario);
  const store = memoryStore(kvs);
  const restore = await runTabby(['compile'], { openDatastore: async () => store });
  t.equal(restore.code, 0, restore.stderr);
  t.equal(restore.stdout, renderRestore(compileRuleset(state, 4)), 'restore is the default; node from the host name');
  t.ok(store.closed, 'the store is closed');

  const ipset = await runTabby(['compile', '--format', 'ipset', '--node', 'host-01'], { openDatastore: async () => memoryStore(kvs) });
  t.equal(ipset.stdout, renderIpsetRestore(compileRuleset(state, 4)));
  const json = await runTabby(['compile', '--format=json', '--ipv6'], { openDatastore: async () => memoryStore(kvs), env: { NODENAME: 'host-01' }, hostname: () => 'elsewhere' });
  t.same(JSON.parse(json.stdout), JSON.parse(JSON.stringify(compileRuleset(state, 6))), 'JSON of the IPv6 ruleset; node from NODENAME');
  t.equal(JSON.parse(json.stdout).ipVersion, 6);

  const other = await runTabby(['compile', '--node', 'host-02'], { openDatastore: async () => memoryStore(kvs) });
  t.not(other.stdout, restore.stdout, '--node picks another node');
  t.match(other.stdout, /cali-tw-cali4d6e7f8a9b0/);
  t.notMatch(other.stdout, /cali-tw-cali4d1a2b3c4d5/);
});

t.test('bad usage changes nothing and says why', async (t) => {
  let opened = 0;
  const ctx = { openDatastore: async () => (opened++, memoryStore(new Map())) };
  for (const [argv, msg] of [
    [['compile', '--format', 'xml'], /--format must be restore, ipset or json/],
    [['compile', '--node', 'bad name'], /node name "bad name"/],
    [['compile', 'extra'], /unexpected argument/],
    [['compile', '--bogus'], /unknown option/],
    [['nonsense'], /unknown command 'nonsense'/],
  ] as const) {
    const r = await runTabby([...argv], ctx);
    t.equal(r.code, 1, argv.join(' '));
    t.match(r.stderr, msg);
    t.equal(r.stdout, '');
  }
  t.equal(opened, 0, 'the datastore is not opened for bad usage');
  const help = await runTabby(['compile', '--help'], ctx);
  t.equal(help.code, 0);
  t.match(help.stdout, /tabby compile \[--node NAME\] \[--ipv6\] \[--format restore\|ipset\|json\]/);
});

t.test('undecodable values are skipped with a message', async (t) => {
  const kvs = scenarioKVs(scenario);
  kvs.set('/calico/v1/policy/tier/default/policy/broken', '{not json');
  const r = await runTabby(['compile'], { openDatastore: async () => memoryStore(kvs) });
  t.equal(r.code, 0);
  t.match(r.stderr, /skipped "\/calico\/v1\/policy\/tier\/default\/policy\/broken"/);
  t.equal(r.stdout, renderRestore(compileRuleset(scenarioState(scenario), 4)));
});

t.test('against the embedded store, as a user runs it', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'tabby-compile-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const env = { TABBY_DATA_DIR: dir };
  const store = await openDatastore(env);
  for (const [key, value] of scenarioKVs(scenario)) await store.put(key, value);
  await store.close();
  const r = await runTabby(['compile', '--node', 'host-01'], { env });
  t.equal(r.code, 0, r.stderr);
  t.equal(r.stdout, renderRestore(compileRuleset(scenarioState(scenario), 4)));
});
