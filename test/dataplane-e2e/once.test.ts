// runOnce and the agent/diff command lines without root: a FakeRunner stands
// in for an empty host with the nft backend, so the test sees every command
// and every input the kernel would get. What it shows: every check happens
// before the first write, a family that fails after another was applied is
// reported as such, and bad command lines change nothing.
import t from 'tap';
import { createDataplane } from '../../dataplane/dataplane.js';
import { resolveNodeTarget } from '../../src/agent/desired.js';
import { AgentApplyError, runOnce } from '../../src/agent/once.js';
import { agentCommand } from '../../src/cli/tabby/agent.js';
import { diffCommand, diffTarget } from '../../src/cli/tabby/diff.js';
import type { TabbyContext } from '../../src/cli/tabby.js';
import type { KVList, KVStore } from '../../src/datastore/kv.js';
import { scenarioKVs, scenarioNode } from '../compiler/scenarios.js';
import { FakeRunner, type RecordedCall } from '../helpers/fake-runner.js';
import { chainsNamed } from './agent-harness.js';

const EMPTY_FILTER = '*filter\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\nCOMMIT\n';

/** A read-only store holding the given pairs. */
function memoryStore(kvs: Map<string, string>): KVStore & { closed: boolean } {
  const store = {
    closed: false,
    async list(prefix: string): Promise<KVList> {
      const items = [...kvs].filter(([k]) => k.startsWith(prefix)).sort(([a], [b]) => (a < b ? -1 : 1))
        .map(([key, value], i) => ({ key, value, modRevision: i + 1, createRevision: i + 1 }));
      return { items, revision: items.length };
    },
    async close(): Promise<void> {
      store.closed = true;
    },
  };
  return store as unknown as KVStore & { closed: boolean };
}

/** An empty host: nft iptables for IPv4, and for IPv6 unless `noIp6tables`. */
function emptyHost(options: { noIp6tables?: boolean } = {}): FakeRunner {
  const r = new FakeRunner();
  for (const tool of options.noIp6tables ? ['iptables'] : ['iptables', 'ip6tables']) {
    r.reply(`${tool}-nft-save`, '', []);
    r.reply(`${tool}-nft-save`, EMPTY_FILTER, ['-t', 'filter']);
    r.reply(`${tool}-nft-restore`, `${tool}-nft-restore v1.8.9 (nf_tables)\n`, ['--version']);
    r.on((c) => (c.command === `${tool}-nft-restore` && c.args[0] === '--noflush' ? '' : undefined));
  }
  r.reply('ipset', '', ['save']);
  r.on((c) => (c.command === 'ipset' && c.args[0] === 'restore' ? '' : undefined));
  r.reply('ip', '[]\n');
  r.reply('sysctl', '');
  return r;
}

const dataplanes = (runner: FakeRunner) => (ipVersion: 4 | 6) =>
  createDataplane({ ipVersion, runner, sleep: async () => undefined });

const isWrite = (c: RecordedCall): boolean =>
  (c.args[0] === '--noflush') || (c.command === 'ipset' && c.args[0] === 'restore') ||
  (c.command === 'ip' && /^(add|replace|del|delete)$/.test(c.args[2] ?? '')) || (c.command === 'sysctl' && c.args.includes('-w'));

t.test('an IPv4 node: one restore per kind, IPv6 only probed', async (t) => {
  const runner = emptyHost();
  const store = memoryStore(scenarioKVs('seed-002-b-policies'));
  const report = await runOnce({ node: scenarioNode('seed-002-b-policies'), openStore: async () => store, dataplaneFor: dataplanes(runner) });
  t.ok(store.closed, 'the store is closed');
  t.same(report.applied.map((a) => a.ipVersion), [4]);
  t.equal(report.uninstall, false);
  const restores = runner.calls.filter((c) => c.args[0] === '--noflush');
  t.equal(restores.length, 1, 'one iptables-restore');
  t.equal(restores[0]!.command, 'iptables-nft-restore');
  t.same(restores[0]!.args, ['--noflush', '--wait']);
  t.ok(chainsNamed(restores[0]!.input!).includes('cali-FORWARD'));
  t.same(report.applied[0]!.result.chainsTouched, chainsNamed(restores[0]!.input!), 'chainsTouched matches the input');
  t.same(report.pendingInterfaces, ['cali4d1a2b3c4d5', 'cali8f1e2d3c4b5'], 'the endpoints\' interfaces do not exist here');
  t.notOk(runner.calls.some((c) => c.command.startsWith('ip6tables') && c.args[0] === '--noflush'), 'nothing written to ip6tables');
});

t.test('IPv6 endpoints on a host without ip6tables: nothing is written at all', async (t) => {
  const runner = emptyHost({ noIp6tables: true });
  const store = memoryStore(scenarioKVs('ipv6'));
  await t.rejects(runOnce({ node: scenarioNode('ipv6'), openStore: async () => store, dataplaneFor: dataplanes(runner) }), /ip6tables/);
  t.same(runner.calls.filter(isWrite), [], 'IPv4 was not applied either');
  t.ok(store.closed, 'the store is closed');
});

t.test('a family that fails after another was applied says so', async (t) => {
  const runner = emptyHost();
  runner.on((c) => (c.command === 'ip6tables-nft-restore' && c.args[0] === '--noflush'
    ? { stdout: '', stderr: 'ip6tables-restore: line 2 failed', exitCode: 1 } : undefined));
  const err = await runOnce({ node: scenarioNode('ipv6'), openStore: async () => memoryStore(scenarioKVs('ipv6')), dataplaneFor: dataplanes(runner) })
    .then(() => undefined, (e: unknown) => e);
  t.ok(err instanceof AgentApplyError, 'an AgentApplyError');
  const e = err as AgentApplyError;
  t.equal(e.ipVersion, 6);
  t.equal(e.rulesWritten, false);
  t.same(e.applied.map((a) => a.ipVersion), [4], 'IPv4 was applied');
  t.match(e.message, /the previous IPv6 ruleset remains in force; applied: IPv4/);
  t.equal(runner.calls.filter((c) => c.command === 'ip6tables-nft-restore' && c.args[0] === '--noflush').length, 3, 'tried 3 times');
});

t.test('an empty datastore removes what Tabby made', async (t) => {
  const runner = emptyHost();
  // Leftovers: our hook and chain in IPv4, nothing in IPv6.
  const hook = '-m comment --comment "cali:Dmf0vrLvBLfTM3Yp" -j cali-FORWARD';
  runner.reply('iptables-nft-save', `*filter\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n:cali-FORWARD - [0:0]\n-A FORWARD ${hook}\nCOMMIT\n`, ['-t', 'filter']);
  const report = await runOnce({ node: 'host-01', openStore: async () => memoryStore(new Map()), dataplaneFor: dataplanes(runner) });
  t.equal(report.uninstall, true);
  t.same(report.applied.map((a) => [a.ipVersion, a.reason]), [[4, 'cleanup']], 'IPv6 had nothing of ours');
  const input = runner.calls.find((c) => c.args[0] === '--noflush')?.input ?? '';
  t.match(input, /^-X cali-FORWARD$/m, 'cali-FORWARD is deleted');
  t.match(input, /^-D FORWARD /m, 'the hook is removed');
});

t.test('diff only reads', async (t) => {
  const runner = emptyHost();
  const store = memoryStore(scenarioKVs('ipv6'));
  const target = await resolveNodeTarget({ store, node: scenarioNode('ipv6'), dataplaneFor: dataplanes(runner) });
  const text = await diffTarget(target);
  t.match(text, /^\+\+\+ desired\/ipv4\/filter\/cali-FORWARD$/m, 'IPv4 chains to add');
  t.match(text, /^\+\+\+ desired\/ipv6\/filter\/cali-FORWARD$/m, 'and IPv6 ones (the scenario has IPv6 endpoints)');
  t.same(runner.calls.filter(isWrite), [], 'no command that writes was run');
});

function ctx(): TabbyContext & { out: string; err: string; opened: number } {
  const c = {
    out: '', err: '', opened: 0,
    stdout: { write: (s: string) => (c.out += s) },
    stderr: { write: (s: string) => (c.err += s) },
    env: {} as NodeJS.ProcessEnv,
    hostname: () => 'host-01',
    openDatastore: async () => { c.opened++; return memoryStore(new Map()); },
  };
  return c;
}

t.test('bad command lines open nothing and say why', async (t) => {
  for (const [run, argv, msg] of [
    [agentCommand, ['--once', '--node', 'bad name'], /node name "bad name"/],
    [agentCommand, ['--once', 'extra'], /unexpected argument 'extra'/],
    [agentCommand, ['--once', '--dump-restore='], /--dump-restore needs a file name/],
    [agentCommand, ['--once', '--bogus'], /unknown option '--bogus'/],
    [agentCommand, ['--once', '--dry-run', '--dump-restore', 'f'], /takes no --dump-restore/],
    [diffCommand, ['extra'], /unexpected argument 'extra'/],
    [diffCommand, ['--node'], /--node needs a value/],
  ] as const) {
    const c = ctx();
    await t.rejects(run([...argv], c), msg, argv.join(' '));
    t.equal(c.opened, 0, 'the datastore is not opened');
  }
  const c = ctx();
  t.equal(await agentCommand(['--once', '--help'], c), 0);
  t.match(c.out, /tabby agent --once \[--dry-run\] \[--node NAME\] \[--dump-restore FILE\]/);
  t.equal(await diffCommand(['-h'], c), 0);
  t.match(c.out, /tabby diff \[--node NAME\]/);
});

t.test('a dry run without root plans as for a fresh host and runs no command', async (t) => {
  const kvs = scenarioKVs('seed-002-b-policies');
  const node = scenarioNode('seed-002-b-policies');
  const silent = new FakeRunner();
  const fresh = await resolveNodeTarget({ store: memoryStore(kvs), node, dataplaneFor: dataplanes(silent), assumeFreshKernel: true });
  t.strictSame(silent.calls, [], 'the kernel was not read');

  const host = emptyHost();
  const read = await resolveNodeTarget({ store: memoryStore(kvs), node, dataplaneFor: dataplanes(host) });
  t.strictSame(fresh.families.map((f) => f.ipVersion), [4], 'IPv4 only, as the scenario has no IPv6');
  t.strictSame(fresh.families[0]?.plan, read.families[0]?.plan, 'the same plan as on an empty host read for real');
});
