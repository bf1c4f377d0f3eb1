// `tabby compile`: reads the datastore, prints restore, ipset or JSON output
// for the node chosen by --node, NODENAME or the host name.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { compileRuleset } from '../../compiler/compile.js';
import { renderIpsetRestore, renderRestore } from '../../compiler/restore.js';
import { main, type TabbyContext } from '../../src/cli/tabby.js';
import { main as calicoctl } from '../../src/cli/calicoctl.js';
import { calicoctlBin, fixturesDir, repoRoot, tabbyBin } from '../helpers/paths.js';
import { memoryStore } from './memory-store.js';
import { scenarioDirs, scenarioKVs, scenarioNode, scenarioState } from './scenarios.js';

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

t.test('mark bits: --mark-mask, else TABBY_MARK_MASK, else 0xffff0000', async (t) => {
  const kvs = scenarioKVs(scenario);
  const state = scenarioState(scenario);
  const open = { openDatastore: async () => memoryStore(kvs) };
  const custom = await runTabby(['compile', '--mark-mask', '0xf00'], open);
  t.equal(custom.code, 0, custom.stderr);
  t.equal(custom.stdout, renderRestore(compileRuleset(state, 4, { markAccept: 0x100, markPass: 0x200, markScratch0: 0x400, markScratch1: 0x800 })));
  t.match(custom.stdout, /-m mark --mark 0x100\/0x100 -j RETURN/);
  t.notMatch(custom.stdout, /0x10000/);
  const fromEnv = await runTabby(['compile'], { ...open, env: { TABBY_MARK_MASK: '3840' } });
  t.equal(fromEnv.stdout, custom.stdout, 'TABBY_MARK_MASK (decimal 3840 = 0xf00) as the agent reads it');
  const flagWins = await runTabby(['compile', '--mark-mask', '0xffff0000'], { ...open, env: { TABBY_MARK_MASK: '0xf00' } });
  t.equal(flagWins.stdout, renderRestore(compileRuleset(state, 4)), 'the option wins over the environment');
  for (const [argv, env, msg] of [
    [['compile', '--mark-mask', '0x3'], {}, /--mark-mask "0x3" must be a 32-bit mask with at least 4 bits set/],
    [['compile', '--mark-mask', '0x1ffffffff'], {}, /--mark-mask "0x1ffffffff"/],
    [['compile'], { TABBY_MARK_MASK: 'lots' }, /TABBY_MARK_MASK "lots"/],
  ] as const) {
    let opened = 0;
    const r = await runTabby([...argv], { env, openDatastore: async () => (opened++, memoryStore(kvs)) });
    t.equal(r.code, 1, argv.join(' '));
    t.match(r.stderr, msg);
    t.equal(r.stdout, '');
    t.equal(opened, 0, 'the datastore is not opened');
  }
});

t.test('undecodable values are skipped with a message', async (t) => {
  const kvs = scenarioKVs(scenario);
  kvs.set('/calico/v1/policy/tier/default/policy/broken', '{not json');
  const r = await runTabby(['compile'], { openDatastore: async () => memoryStore(kvs) });
  t.equal(r.code, 0);
  t.match(r.stderr, /skipped "\/calico\/v1\/policy\/tier\/default\/policy\/broken"/);
  t.equal(r.stdout, renderRestore(compileRuleset(scenarioState(scenario), 4)));
});

/** Runs calicoctl's main() with captured output, as a user would run the command. */
async function runCalicoctl(argv: string[], env: NodeJS.ProcessEnv): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const code = await calicoctl(argv, { stdout: { write: (s: string) => (stdout += s) }, stderr: { write: (s: string) => (stderr += s) }, env });
  return { code, stdout, stderr };
}

const golden = (name: string, file: string): string | undefined => {
  const path = join(fixturesDir(), name, file);
  return existsSync(path) ? readFileSync(path, 'utf8') : undefined;
};

// Every scenario that v1 YAML can express entirely (inactive-endpoint needs a raw
// datastore record), the way a new user runs it: calicoctl apply -f, then tabby compile.
const userScenarios = scenarioDirs().filter((n) => !existsSync(join(fixturesDir(), n, 'datastore.json')));

t.test('calicoctl apply -f input.yaml, then tabby compile prints the golden files (embedded store)', async (t) => {
  t.ok(userScenarios.length >= 13, `${userScenarios.length} scenarios`);
  for (const name of userScenarios) {
    const dir = mkdtempSync(join(tmpdir(), 'tabby-compile-'));
    try {
      const env = { TABBY_DATA_DIR: dir };
      const applied = await runCalicoctl(['apply', '-f', join(fixturesDir(), name, 'input.yaml')], env);
      t.equal(applied.code, 0, `${name}: calicoctl apply ${applied.stderr}`);
      const node = scenarioNode(name);
      for (const [args, file] of [
        [[], 'iptables.txt'],
        [['--format', 'ipset'], 'ipset.txt'],
        [['--ipv6'], 'ip6tables.txt'],
        [['--ipv6', '--format', 'ipset'], 'ipset6.txt'],
      ] as const) {
        const want = golden(name, file);
        if (want === undefined) continue;
        const r = await runTabby(['compile', '--node', node, ...args], { env });
        t.equal(r.code, 0, `${name} ${file}: ${r.stderr}`);
        t.equal(r.stderr, '', `${name} ${file}: nothing skipped`);
        t.equal(r.stdout, want, `${name}: tabby compile --node ${node} ${args.join(' ')} prints ${file}`);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
});

const built = existsSync(join(repoRoot(), 'dist', 'src', 'cli', 'tabby.js')) && existsSync(join(repoRoot(), 'dist', 'src', 'cli', 'calicoctl.js'));
const notBuilt = 'dist/ is not built: run `npm run build` (npm test does) to test bin/calicoctl.js and bin/tabby.js';

t.test('the real bins (after npm run build)', { skip: built ? false : notBuilt }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'tabby-compile-bin-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  // The embedded store in a fresh directory, whatever the caller's environment says.
  const { ETCD_ENDPOINTS: _etcd, NODENAME: _node, ...inherited } = process.env;
  const env = { ...inherited, TABBY_DATA_DIR: dir };
  const run = (bin: string, args: string[]) => spawnSync(process.execPath, [bin, ...args], { env, encoding: 'utf8', timeout: 60_000 });
  const name = 'seed-004-advanced-policy-demo';
  const applied = run(calicoctlBin(), ['apply', '-f', join(fixturesDir(), name, 'input.yaml')]);
  t.equal(applied.status, 0, `calicoctl apply: ${applied.stderr}`);
  const restore = run(tabbyBin(), ['compile', '--node', scenarioNode(name)]);
  t.equal(restore.status, 0, `tabby compile: ${restore.stderr}`);
  t.equal(restore.stdout, golden(name, 'iptables.txt'), 'bin/tabby.js compile prints the golden ruleset');
  const sets = run(tabbyBin(), ['compile', '--node', scenarioNode(name), '--format', 'ipset']);
  t.equal(sets.stdout, golden(name, 'ipset.txt'), 'bin/tabby.js compile --format ipset prints the golden sets');
  const json = run(tabbyBin(), ['compile', '--node', scenarioNode(name), '--format', 'json', '--ipv6']);
  t.equal(json.status, 0, json.stderr);
  t.equal(JSON.parse(json.stdout).ipVersion, 6);
  const bad = run(tabbyBin(), ['compile', '--format', 'xml']);
  t.equal(bad.status, 1);
  t.match(bad.stderr, /--format must be restore, ipset or json/);
  t.equal(bad.stdout, '');
});
