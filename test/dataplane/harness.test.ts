// The connectivity harness itself: topology as a CNI plugin builds it, the
// expectation table, the mismatch report, and a clean teardown.
import { execFileSync } from 'node:child_process';
import t from 'tap';
import { notRootReason, TestNetwork } from '../helpers/netns.js';
import { compareProbes, parseExpectations, type ProbeResult } from '../helpers/probe.js';

t.test('expectation tables', async (t) => {
  const table = parseExpectations(`
    # from  to   probe     expect
    a       b    tcp:80    allow
    b       a    udp:53    deny   # trailing comment
    a       b    icmp      deny
  `);
  t.same(table, [
    { from: 'a', to: 'b', proto: 'tcp', port: 80, expect: 'allow' },
    { from: 'b', to: 'a', proto: 'udp', port: 53, expect: 'deny' },
    { from: 'a', to: 'b', proto: 'icmp', port: undefined, expect: 'deny' },
  ]);
  t.throws(() => parseExpectations('a b tcp allow'), /line 1/);
  t.throws(() => parseExpectations('a b tcp:80 maybe'), /allow\|deny/);

  const results: ProbeResult[] = [
    { ...table[0]!, outcome: 'allow' },
    { ...table[1]!, outcome: 'allow' },
    { ...table[2]!, outcome: 'refused', detail: 'ECONNREFUSED' },
  ];
  t.equal(compareProbes(results, table), [
    '2 of 3 probes differ:',
    '  b -> a udp:53                        expected deny  got allow',
    '  a -> b icmp                          expected deny  got refused (ECONNREFUSED)',
    '',
  ].join('\n'));
  t.equal(compareProbes(results.slice(0, 1), table.slice(0, 1)), '');
});

t.test('topology and teardown', { skip: notRootReason() }, async (t) => {
  const net = await TestNetwork.create([{ name: 'a', ip: '198.18.0.2' }, { name: 'b', ip: '198.18.0.3' }]);
  let destroyed = false;
  t.teardown(() => (destroyed ? undefined : net.destroy()));
  const a = net.workload('a');
  t.match(a.iface, /^cali[0-9a-f]{11}$/, 'host veth named cali + 11 hex characters');
  t.not(a.iface, net.workload('b').iface);
  t.match(await net.exec('a', 'ip', ['-4', 'addr', 'show', 'eth0']), /inet 198\.18\.0\.2\/32/);
  const routes = await net.exec('a', 'ip', ['-4', 'route', 'show']);
  t.match(routes, /default via 169\.254\.1\.1 dev eth0/);
  t.match(routes, /169\.254\.1\.1 dev eth0 scope link/);
  t.match(await net.exec('a', 'ip', ['neigh', 'show', '169.254.1.1']), /lladdr ee:ee:ee:ee:ee:ee PERMANENT/);
  t.match(await net.exec('host', 'ip', ['-j', 'link', 'show', a.iface]), /"operstate":"(UP|LOWERLAYERDOWN|UNKNOWN)"|"flags":\[[^\]]*"UP"/);
  t.equal((await net.exec('host', 'sysctl', ['-n', 'net.ipv4.ip_forward'])).trim(), '1', 'forwarding on in the host namespace');
  t.match(a.mac, /^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/);

  const helpers = [await net.agent('a'), await net.agent('b'), await net.agent('host')];
  const pids = helpers.map((h) => h.pid!);
  await net.removeWorkload('b');
  t.notOk(net.workloads.has('b'));
  t.notMatch(await net.exec('host', 'ip', ['link', 'show']), new RegExp(net.ifaceFor('b')), 'removing a workload removes its veth');

  await net.destroy();
  destroyed = true;
  const left = execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' });
  t.notMatch(left, new RegExp(net.hostNs.replace(/-host$/, '')), 'no namespace left');
  for (const pid of pids) {
    t.throws(() => process.kill(pid, 0), { code: 'ESRCH' }, `helper ${pid} is gone`);
  }
});
