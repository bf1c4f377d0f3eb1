// The dataplane with a fake command runner: backend detection, the order and
// exact inputs of the writes, retries, the remembered state, bad input.
import t from 'tap';
import type { Ruleset } from '../../compiler/ruleset.js';
import type { IptablesBackend } from '../../dataplane/backend.js';
import { detectBackend } from '../../dataplane/backend.js';
import { createDataplane, DataplaneApplyError } from '../../dataplane/dataplane.js';
import { DataplaneInputError } from '../../dataplane/validate.js';
import { FakeRunner } from '../helpers/fake-runner.js';
import { emptyRuleset, handRuleset, ipsetSaveText, saveText } from './hand-ruleset.js';

const NFT: IptablesBackend = {
  mode: 'nft', ipVersion: 4, save: 'iptables-nft-save', restore: 'iptables-nft-restore', waitArgs: ['--wait'], version: '1.8.9',
};
const A = { iface: 'cali0000000000a', ip: '198.18.0.2' };
const B = { iface: 'cali0000000000b', ip: '198.18.0.3' };
const ruleset = handRuleset({ workloads: [A, B], allows: [{ name: 'web', to: B.iface, from: [A.ip], proto: 'tcp', port: 80 }] });

/** A fake kernel whose state the test sets; restores succeed unless told otherwise. */
function fakeKernel(initial: { save?: string; ipsets?: string } = {}) {
  const state = { save: initial.save ?? saveText(emptyRuleset(4)), ipsets: initial.ipsets ?? '' };
  const runner = new FakeRunner()
    .reply('iptables-nft-save', () => state.save)
    .reply('ipset', () => state.ipsets, ['save'])
    .reply('ipset', '', ['restore'])
    .reply('iptables-nft-restore', '');
  return { state, runner };
}

const noSleep = async (): Promise<void> => undefined;

t.test('backend detection', async (t) => {
  const rules = (n: number) => ['*filter', ...Array.from({ length: n }, (_, i) => `-A INPUT -s 198.18.0.${i + 1}/32 -j ACCEPT`), 'COMMIT'].join('\n');
  const base = () => new FakeRunner()
    .reply('iptables-legacy-restore', 'iptables-restore v1.8.9 (legacy)\n', ['--version'])
    .reply('iptables-nft-restore', 'iptables-restore v1.8.9 (nf_tables)\n', ['--version'])
    .reply('ip6tables-nft-restore', 'ip6tables-restore v1.8.9 (nf_tables)\n', ['--version'])
    .reply('iptables', 'iptables v1.8.9 (nf_tables)\n', ['--version'])
    .reply('ip6tables', 'ip6tables v1.8.9 (nf_tables)\n', ['--version'])
    .reply('iptables-nft-save', rules(0)).reply('ip6tables-nft-save', rules(0))
    .reply('iptables-legacy-save', rules(0)).reply('ip6tables-legacy-save', rules(0));

  const tie = await detectBackend(base(), 4);
  t.same(tie, NFT, 'no rules anywhere: what `iptables --version` says');

  const legacyHolds = base().reply('iptables-legacy-save', rules(5)).reply('iptables-nft-save', rules(2));
  const legacy = await detectBackend(legacyHolds, 4);
  t.equal(legacy.mode, 'legacy', 'the backend that holds more rules wins');
  t.equal(legacy.save, 'iptables-legacy-save');
  t.equal(legacy.restore, 'iptables-legacy-restore');

  const v6 = await detectBackend(base().reply('ip6tables-nft-save', rules(3)), 6);
  t.same([v6.save, v6.restore, v6.waitArgs], ['ip6tables-nft-save', 'ip6tables-nft-restore', ['--wait']]);

  const old = base().reply('iptables-nft-restore', 'iptables-restore v1.6.1 (nf_tables)\n', ['--version']);
  t.same((await detectBackend(old, 4)).waitArgs, [], 'no --wait before 1.6.2');

  const forced = await detectBackend(base(), 4, { mode: 'legacy' });
  t.equal(forced.restore, 'iptables-legacy-restore', 'a forced mode is used as is');
});

t.test('apply writes ipset creates, then iptables, then ipset destroys', async (t) => {
  const { runner } = fakeKernel({
    ipsets: 'create cali40s:old hash:net family inet hashsize 1024 maxelem 16\nadd cali40s:old 198.18.9.9\n',
  });
  const dp = createDataplane({ ipVersion: 4, runner, backend: NFT });
  const r = await dp.apply(ruleset);
  const writes = runner.writes().map((c) => `${c.command} ${c.args.join(' ')}`);
  t.same(writes, ['ipset restore', 'iptables-nft-restore --noflush --wait', 'ipset restore'], 'three writes in order');
  const [pre, ipt, post] = runner.writes();
  t.equal(pre!.input, r.ipSets.preInput);
  t.match(pre!.input!, /^create cali40s:web hash:net family inet maxelem 1024\nadd cali40s:web 198\.18\.0\.2\n$/);
  t.equal(ipt!.input, r.iptables.input, 'the record holds the exact restore input');
  t.match(ipt!.input!, /--match-set cali40s:web src/);
  t.equal(post!.input, 'destroy cali40s:old\n');
  t.equal(r.attempts, 1);
  t.ok(r.changed);
});

t.test('nothing to do: reads only', async (t) => {
  const { runner } = fakeKernel({ save: saveText(ruleset), ipsets: ipsetSaveText(ruleset) });
  const dp = createDataplane({ ipVersion: 4, runner, backend: NFT });
  const r = await dp.apply(ruleset);
  t.equal(r.changed, false);
  t.same(runner.writes(), []);
  t.same(runner.calls.map((c) => c.command).sort(), ['ipset', 'iptables-nft-save']);
});

t.test('a failed restore is retried after re-reading the kernel, with backoff', async (t) => {
  const { runner, state } = fakeKernel();
  runner.failNext('iptables-nft-restore', 'iptables-restore: line 3 failed', 2);
  const slept: number[] = [];
  const dp = createDataplane({
    ipVersion: 4, runner, backend: NFT, retry: { attempts: 3, backoffMs: 50 },
    sleep: async (ms) => { slept.push(ms); },
  });
  // Between attempts the ipsets got created (as the pre phase did), so the retry must not create them again.
  runner.on((c) => {
    if (c.command === 'ipset' && c.args[0] === 'restore') state.ipsets = ipsetSaveText(ruleset);
    return undefined;
  });
  const r = await dp.apply(ruleset);
  t.equal(r.attempts, 3);
  t.same(slept, [50, 100], 'backoff doubles');
  t.equal(runner.callsOf('iptables-nft-save').length, 3, 'the kernel is re-read before each retry');
  t.equal(runner.callsOf('ipset').filter((c) => c.args[0] === 'restore').length, 1, 're-planned: sets not created twice');
  t.equal(r.ipSets.preInput, null);
});

t.test('giving up throws DataplaneApplyError with the phase and the last plan', async (t) => {
  const { runner } = fakeKernel();
  runner.failNext('iptables-nft-restore', 'Another app is currently holding the xtables lock', 10);
  const dp = createDataplane({ ipVersion: 4, runner, backend: NFT, retry: { attempts: 2 }, sleep: noSleep });
  const err = await dp.apply(ruleset).catch((e: unknown) => e);
  t.ok(err instanceof DataplaneApplyError);
  const e = err as DataplaneApplyError;
  t.equal(e.phase, 'iptables');
  t.equal(e.attempts, 2);
  t.match(e.message, /xtables lock/);
  t.ok(e.plan?.iptables.input, 'the failed input is available');
});

t.test('useCache: a second apply plans against what the first one left', async (t) => {
  const { runner } = fakeKernel();
  const dp = createDataplane({ ipVersion: 4, runner, backend: NFT });
  await dp.apply(ruleset);
  const before = runner.calls.length;
  const again = await dp.apply(ruleset, { useCache: true });
  t.equal(again.changed, false);
  t.equal(runner.calls.length, before, 'no command at all');
  const grown = handRuleset({ workloads: [A, B, { iface: 'cali0000000000c', ip: '198.18.0.4' }] });
  const r = await dp.apply(grown, { useCache: true });
  t.equal(runner.calls.length, before + 2, 'no read: one iptables restore, one ipset destroy');
  t.same(r.iptables.chainsCreated, ['cali-fw-cali0000000000c', 'cali-tw-cali0000000000c']);
  dp.invalidate();
  await dp.apply(grown, { useCache: true });
  t.equal(runner.callsOf('iptables-nft-save').length, 2, 'invalidate forces a read');
});

t.test('bad input is refused before anything runs', async (t) => {
  const cases: [string, (r: Ruleset) => Ruleset, RegExp][] = [
    ['wrong family', (r) => ({ ...r, ipVersion: 6 }), /ruleset\.ipVersion/],
    ['chain name', (r) => ({ ...r, chains: [{ name: 'FORWARD', rules: [] }] }), /chains\[0\]\.name.*"FORWARD"/],
    ['long chain name', (r) => ({ ...r, chains: [{ name: 'cali-' + 'x'.repeat(24), rules: [] }] }), /at most 28/],
    ['newline in spec', (r) => ({ ...r, chains: [{ name: 'cali-x', rules: [{ hash: 'abc', spec: '-m comment --comment "cali:abc" -j DROP\n-F' }] }] }), /single line/],
    ['hash not in spec', (r) => ({ ...r, chains: [{ name: 'cali-x', rules: [{ hash: 'abc', spec: '-j DROP' }] }] }), /cali:abc/],
    ['jump to a missing chain', (r) => ({ ...r, chains: [{ name: 'cali-x', rules: [{ hash: 'abc', spec: '-m comment --comment "cali:abc" -j cali-nope' }] }] }), /cali-nope/],
    ['missing set', (r) => ({ ...r, ipSets: [] }), /matches an IP set that is not in the ruleset.*cali40s:web/],
    ['set name too long', (r) => ({ ...r, ipSets: [{ ...r.ipSets[0]!, name: 'cali40s:' + 'y'.repeat(24) }] }), /1-31 characters/],
    ['temporary set name', (r) => ({ ...r, ipSets: [{ ...r.ipSets[0]!, name: 'cali4ts:web' }] }), /reserved/],
    ['bad member', (r) => ({ ...r, ipSets: [{ ...r.ipSets[0]!, members: ['198.18.0.300'] }] }), /members\[0\].*198\.18\.0\.300/],
    ['v6 member in v4 set', (r) => ({ ...r, ipSets: [{ ...r.ipSets[0]!, members: ['fd00::1'] }] }), /members\[0\]/],
    ['too many members', (r) => ({ ...r, ipSets: [{ ...r.ipSets[0]!, maxelem: 1, members: ['198.18.0.1', '198.18.0.2'] }] }), /maxelem/],
    ['two hooks in a chain', (r) => ({ ...r, hooks: [r.hooks[0]!, r.hooks[0]!] }), /more than one hook/],
  ];
  for (const [what, mutate, pattern] of cases) {
    const { runner } = fakeKernel();
    const dp = createDataplane({ ipVersion: 4, runner, backend: NFT });
    const err = await dp.apply(mutate(ruleset)).catch((e: unknown) => e);
    t.ok(err instanceof DataplaneInputError, `${what}: DataplaneInputError`);
    t.match((err as Error).message, pattern, `${what}: message names field and value`);
    t.same(runner.calls, [], `${what}: no command run`);
  }
});

t.test('diff through the dataplane reads only', async (t) => {
  const { runner } = fakeKernel({ save: saveText(ruleset), ipsets: ipsetSaveText(ruleset) });
  const dp = createDataplane({ ipVersion: 4, runner, backend: NFT });
  t.equal(await dp.diff(ruleset), '');
  t.match(await dp.diff(emptyRuleset(4)), /^-:cali-FORWARD - \[0:0\]$/m);
  t.same(runner.writes(), []);
});

t.test('concurrent applies run one after the other', async (t) => {
  const { runner } = fakeKernel();
  const dp = createDataplane({ ipVersion: 4, runner, backend: NFT });
  const [first, second] = await Promise.all([dp.apply(ruleset), dp.apply(ruleset, { useCache: true })]);
  t.ok(first.changed);
  t.equal(second.changed, false, 'the second planned against what the first wrote');
});
