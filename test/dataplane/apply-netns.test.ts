// The dataplane against the real kernel, inside network namespaces this test
// creates: apply, re-read, idempotence, foreign rules, repair, full removal.
import t from 'tap';
import { createCommandRunner } from '../../dataplane/runner.js';
import { detectBackend } from '../../dataplane/backend.js';
import { createDataplane, DataplaneApplyError } from '../../dataplane/dataplane.js';
import { notRootReason, TestNetwork } from '../helpers/netns.js';
import { chain, emptyRuleset, handRuleset } from './hand-ruleset.js';

const skip = notRootReason();

t.test('apply, re-read and remove in a fresh namespace', { skip }, async (t) => {
  const net = await TestNetwork.create([
    { name: 'a', ip: '198.18.0.2' },
    { name: 'b', ip: '198.18.0.3' },
  ]);
  t.teardown(() => net.destroy());
  const runner = createCommandRunner({ netns: net.hostNs });
  const dp = createDataplane({ ipVersion: 4, runner, retry: { attempts: 2, backoffMs: 10 } });
  const a = net.workload('a'), b = net.workload('b');
  const ruleset = handRuleset({
    workloads: [{ iface: a.iface, ip: a.ip }, { iface: b.iface, ip: b.ip }],
    allows: [{ name: 'web', to: b.iface, from: [a.ip], proto: 'tcp', port: 80 }],
  });

  // Another program's rule, which must survive everything we do.
  await net.exec('host', 'iptables', ['-A', 'FORWARD', '-s', '198.19.9.9/32', '-j', 'ACCEPT']);

  t.match(await dp.diff(ruleset), /\+:cali-FORWARD - \[0:0\]/, 'an empty namespace diffs as additions');

  const first = await dp.apply(ruleset, { endpoints: [net.endpoint('a'), net.endpoint('b')] });
  t.ok(first.changed, 'first apply writes');
  t.same(first.chainsTouched.filter((c) => c.startsWith('cali-')), ruleset.chains.map((c) => c.name), 'every chain created');
  t.same(first.ipSets.created, ['cali40s:web']);
  t.equal(first.plumbing?.routesAdded.length, 2, 'a route per workload');
  t.equal(first.plumbing?.neighboursAdded.length, 2, 'a neighbour entry per workload');
  t.same(first.plumbing?.pendingInterfaces, []);

  t.equal(await dp.diff(ruleset), '', 'in sync after apply');
  const save = await net.exec('host', 'iptables-save', ['-t', 'filter']);
  const forward = save.split('\n').filter((l) => l.startsWith('-A FORWARD '));
  t.match(forward[0], /cali-FORWARD/, 'hook first in FORWARD');
  t.match(forward[1], /198\.19\.9\.9/, 'foreign rule kept after the hook');
  t.equal(forward.length, 2);
  const routes = await net.exec('host', 'ip', ['-4', 'route', 'show', 'proto', '80']);
  t.match(routes, new RegExp(`198\\.18\\.0\\.2 dev ${a.iface} scope link`));
  const sysctl = await net.exec('host', 'sysctl', ['-n', `net.ipv4.conf.${a.iface}.proxy_arp`, `net.ipv4.conf.${a.iface}.forwarding`]);
  t.equal(sysctl.trim().split(/\s+/).join(','), '1,1', 'proxy_arp and forwarding on');

  // Second apply (re-reading the kernel) writes nothing.
  const again = await dp.apply(ruleset, { endpoints: [net.endpoint('a'), net.endpoint('b')] });
  t.equal(again.changed, false, 'second apply writes nothing');
  t.equal(again.iptables.input, null);
  t.same(again.plumbing?.commands, [], 'no plumbing commands either');

  // Someone flushes one of our chains: diff shows it, apply repairs only it.
  const tw = `cali-tw-${b.iface}`;
  await net.exec('host', 'iptables', ['-F', tw]);
  const drift = await dp.diff(ruleset);
  t.match(drift, new RegExp(`\\+\\+\\+ desired/ipv4/filter/${tw}`), 'diff names the flushed chain');
  t.match(drift, /^\+-A cali-tw-/m, 'and shows its missing rules');
  const repair = await dp.apply(ruleset);
  t.same(repair.chainsTouched, [tw], 'repair rewrites only the flushed chain');
  t.equal(await dp.diff(ruleset), '', 'in sync after repair');

  // Someone inserts a rule above our hook: the hook goes back on top, their rule stays.
  await net.exec('host', 'iptables', ['-I', 'FORWARD', '1', '-s', '198.19.8.8/32', '-j', 'DROP']);
  const rehook = await dp.apply(ruleset);
  t.same(rehook.chainsTouched, ['FORWARD'], 'only FORWARD touched');
  const forward2 = (await net.exec('host', 'iptables-save', ['-t', 'filter'])).split('\n').filter((l) => l.startsWith('-A FORWARD '));
  t.match(forward2[0], /cali-FORWARD/);
  t.equal(forward2.length, 3, 'both foreign rules still there');

  // Remove everything.
  const gone = await dp.apply(emptyRuleset(4), { endpoints: [] });
  t.same(gone.iptables.chainsDeleted, ruleset.chains.map((c) => c.name), 'every chain deleted');
  t.same(gone.ipSets.destroyed, ['cali40s:web']);
  const after = await net.exec('host', 'iptables-save', ['-t', 'filter']);
  t.notMatch(after, /cali/, 'no cali chain or hook left');
  t.match(after, /-A FORWARD -s 198\.19\.9\.9\/32 -j ACCEPT/, 'foreign rule survives full removal');
  t.match(after, /-A FORWARD -s 198\.19\.8\.8\/32 -j DROP/);
  t.equal((await net.exec('host', 'ipset', ['list', '-n'])).trim(), '', 'no IP set left');
  t.equal((await net.exec('host', 'ip', ['-4', 'route', 'show', 'proto', '80'])).trim(), '', 'no route left');
  t.equal((await net.exec('host', 'ip', ['-4', 'neigh', 'show', 'nud', 'permanent'])).trim(), '', 'no neighbour left');
  t.equal(await dp.diff(emptyRuleset(4)), '', 'empty diff against the empty ruleset');
});

t.test('a restore the kernel rejects leaves the previous ruleset in force', { skip }, async (t) => {
  const net = await TestNetwork.create();
  t.teardown(() => net.destroy());
  const dp = createDataplane({ ipVersion: 4, runner: createCommandRunner({ netns: net.hostNs }), retry: { attempts: 2, backoffMs: 1 } });
  const wl = [{ iface: 'cali0000000000a', ip: '198.18.0.2' }, { iface: 'cali0000000000b', ip: '198.18.0.3' }];
  const good = handRuleset({ workloads: wl, allows: [{ name: 'web', to: wl[1]!.iface, from: [wl[0]!.ip], proto: 'tcp', port: 80 }] });
  await dp.apply(good);
  // Valid for our checks, but iptables cannot load it: the match does not exist.
  const bad = handRuleset({
    workloads: [...wl, { iface: 'cali0000000000c', ip: '198.18.0.4' }],
    allows: [{ name: 'web', to: wl[1]!.iface, from: [wl[0]!.ip], proto: 'tcp', port: 80 }],
  });
  const tw = bad.chains.find((c) => c.name === 'cali-tw-cali0000000000c')!;
  tw.rules.splice(1, 0, chain(tw.name, ['-m nosuchmatch --foo -j DROP']).rules[0]!);
  const err = await dp.apply(bad).catch((e: unknown) => e);
  t.ok(err instanceof DataplaneApplyError, 'apply fails');
  t.equal((err as DataplaneApplyError).phase, 'iptables');
  t.equal((err as DataplaneApplyError).attempts, 2, 'after retrying');
  t.equal(await dp.diff(good), '', 'the kernel still holds exactly the previous ruleset');
});

t.test('IP sets: big changes swap, maxelem changes swap, on the real kernel', { skip }, async (t) => {
  const net = await TestNetwork.create();
  t.teardown(() => net.destroy());
  const dp = createDataplane({ ipVersion: 4, runner: createCommandRunner({ netns: net.hostNs }) });
  const wl = [{ iface: 'cali0000000000a', ip: '198.18.0.2' }, { iface: 'cali0000000000b', ip: '198.18.0.3' }];
  const withSources = (from: string[], maxelem = 1024) => {
    const r = handRuleset({ workloads: wl, allows: [{ name: 'web', to: wl[1]!.iface, from, proto: 'tcp', port: 80 }] });
    r.ipSets[0]!.maxelem = maxelem;
    return r;
  };
  const hosts = (third: number, n: number) => Array.from({ length: n }, (_, i) => `198.18.${third}.${i + 1}`);
  await dp.apply(withSources(hosts(1, 3)));
  const small = await dp.apply(withSources([...hosts(1, 3), '198.18.2.0/24']));
  t.same(small.ipSets.updated, ['cali40s:web'], 'small change in place');
  t.same(small.chainsTouched, [], 'no chain rewritten for a member change');
  const big = await dp.apply(withSources(hosts(3, 60)));
  t.same(big.ipSets.swapped, ['cali40s:web'], 'big change swapped');
  t.equal(await dp.diff(withSources(hosts(3, 60))), '', 'members in sync after the swap');
  const resized = await dp.apply(withSources(hosts(3, 60), 4096));
  t.same(resized.ipSets.swapped, ['cali40s:web'], 'maxelem change swapped while a rule uses the set');
  t.equal(await dp.diff(withSources(hosts(3, 60), 4096)), '');
  t.equal((await net.exec('host', 'ipset', ['list', '-n'])).trim(), 'cali40s:web', 'no temporary set left behind');
});

t.test('IPv6: apply, in sync, remove', { skip }, async (t) => {
  const net = await TestNetwork.create();
  t.teardown(() => net.destroy());
  const runner = createCommandRunner({ netns: net.hostNs });
  const dp = createDataplane({ ipVersion: 6, runner });
  const wl = [{ iface: 'cali0000000000a', ip: 'fd00::2' }, { iface: 'cali0000000000b', ip: 'fd00::3' }];
  const r6 = handRuleset({ ipVersion: 6, workloads: wl, allows: [{ name: 'web', to: wl[1]!.iface, from: ['fd00:0::2'], proto: 'tcp', port: 80 }] });
  t.equal((await dp.backend()).save, 'ip6tables-nft-save', 'IPv6 tools of the detected backend');
  await dp.apply(r6);
  t.equal(await dp.diff(r6), '', 'in sync');
  t.equal((await dp.apply(r6)).changed, false, 'second apply writes nothing');
  t.equal(await net.exec('host', 'iptables-save', ['-t', 'filter']).then((s) => /cali/.test(s)), false, 'IPv4 table untouched');
  await dp.apply(emptyRuleset(6));
  t.notMatch(await net.exec('host', 'ip6tables-save', ['-t', 'filter']), /cali/);
  t.equal((await net.exec('host', 'ipset', ['list', '-n'])).trim(), '');
});

t.test('backend detection on this machine', { skip }, async (t) => {
  const net = await TestNetwork.create();
  t.teardown(() => net.destroy());
  const b = await detectBackend(createCommandRunner({ netns: net.hostNs }), 4);
  const plain = await net.exec('host', 'iptables', ['--version']);
  t.equal(b.mode, /nf_tables/.test(plain) ? 'nft' : 'legacy', 'matches `iptables --version` when no backend holds rules');
  t.same(b.waitArgs, ['--wait']);
});

t.test('the legacy backend writes legacy tables', { skip }, async (t) => {
  const net = await TestNetwork.create();
  t.teardown(() => net.destroy());
  const runner = createCommandRunner({ netns: net.hostNs });
  try {
    await runner.run('iptables-legacy', ['-t', 'filter', '-L', '-n']);
  } catch {
    t.plan(0, 'iptables-legacy is not usable here (no ip_tables kernel module)');
    return;
  }
  const dp = createDataplane({ ipVersion: 4, runner, backend: 'legacy' });
  const r = handRuleset({ workloads: [{ iface: 'cali0000000000a', ip: '198.18.0.2' }] });
  await dp.apply(r);
  t.equal(await dp.diff(r), '', 'in sync through legacy save');
  t.match(await net.exec('host', 'iptables-legacy-save', ['-t', 'filter']), /-A FORWARD -m comment --comment "cali:\S+" -j cali-FORWARD/);
  t.notMatch(await net.exec('host', 'iptables-nft-save', ['-t', 'filter']), /cali/, 'nothing in nf_tables');
  await dp.apply(emptyRuleset(4));
  t.notMatch(await net.exec('host', 'iptables-legacy-save', ['-t', 'filter']), /cali/);
});
