// Workload plumbing with a fake runner: the exact ip/sysctl commands.
import t from 'tap';
import type { LocalEndpoint } from '../../compiler/desired-state.js';
import { PlumbingError, syncWorkloadPlumbing } from '../../dataplane/plumbing.js';
import { DataplaneInputError } from '../../dataplane/validate.js';
import { FakeRunner } from '../helpers/fake-runner.js';

const ep = (name: string, iface: string, ip: string, extra: Partial<LocalEndpoint> = {}): LocalEndpoint => ({
  id: `node/k8s/${name}/eth0`, interfaceName: iface, active: true, mac: '02:00:c6:12:00:02',
  ipv4Nets: [`${ip}/32`], ipv6Nets: [], ingressPolicies: [], egressPolicies: [], profileIds: [], ...extra,
});

interface Kernel { links: string[]; routes: object[]; neigh: object[]; sysctl: Record<string, string> }

function fake(k: Kernel): FakeRunner {
  return new FakeRunner()
    .reply('ip', () => JSON.stringify(k.links.map((ifname) => ({ ifname }))), ['-j', 'link', 'show'])
    .reply('ip', () => JSON.stringify(k.routes), ['-4', '-j', 'route', 'show', 'table', 'main', 'proto', '80'])
    .reply('ip', () => JSON.stringify(k.neigh), ['-4', '-j', 'neigh', 'show', 'nud', 'permanent', 'proto', '80'])
    .on((c) => c.command === 'ip' && ['replace', 'del'].includes(c.args[2]!) ? '' : undefined)
    .on((c) => c.command === 'sysctl' && c.args[0] === '-e'
      ? c.args.slice(1).filter((key) => key in k.sysctl).map((key) => `${key} = ${k.sysctl[key]}`).join('\n') + '\n'
      : undefined)
    .reply('sysctl', '', ['-q', '-w']);
}

const writes = (r: FakeRunner): string[] => r.calls
  .filter((c) => (c.command === 'ip' && ['replace', 'del'].includes(c.args[2]!)) || (c.command === 'sysctl' && c.args[1] === '-w'))
  .map((c) => [c.command, ...c.args].join(' '));

t.test('new endpoint: route, permanent neighbour, sysctls', async (t) => {
  const runner = fake({
    links: ['lo', 'cali0000000000a'], routes: [], neigh: [],
    sysctl: { 'net.ipv4.conf.cali0000000000a.proxy_arp': '0', 'net.ipv4.conf.cali0000000000a.forwarding': '0' },
  });
  const r = await syncWorkloadPlumbing(runner, 4, [ep('a', 'cali0000000000a', '198.18.0.2')]);
  t.same(writes(runner), [
    'ip -4 route replace 198.18.0.2/32 dev cali0000000000a scope link proto 80',
    'ip -4 neigh replace 198.18.0.2 lladdr 02:00:c6:12:00:02 dev cali0000000000a nud permanent protocol 80',
    'sysctl -q -w net.ipv4.conf.cali0000000000a.proxy_arp=1 net.ipv4.conf.cali0000000000a.forwarding=1',
  ]);
  t.same(r.commands.map((c) => c.join(' ')), writes(runner), 'the result lists what ran');
  t.same(r.pendingInterfaces, []);
});

t.test('in step: reads only', async (t) => {
  const runner = fake({
    links: ['cali0000000000a'],
    routes: [{ dst: '198.18.0.2', dev: 'cali0000000000a', scope: 'link' }],
    neigh: [{ dst: '198.18.0.2', dev: 'cali0000000000a', lladdr: '02:00:C6:12:00:02', state: ['PERMANENT'] }],
    sysctl: { 'net.ipv4.conf.cali0000000000a.proxy_arp': '1', 'net.ipv4.conf.cali0000000000a.forwarding': '1' },
  });
  const r = await syncWorkloadPlumbing(runner, 4, [ep('a', 'cali0000000000a', '198.18.0.2')]);
  t.same(writes(runner), []);
  t.same(r.commands, []);
});

t.test('endpoint gone, MAC changed, interface missing', async (t) => {
  const runner = fake({
    links: ['cali0000000000a', 'cali0000000000b'],
    routes: [
      { dst: '198.18.0.2', dev: 'cali0000000000a' },
      { dst: '198.18.0.3', dev: 'cali0000000000b' },
    ],
    neigh: [
      { dst: '198.18.0.2', dev: 'cali0000000000a', lladdr: '02:00:00:00:00:99' },
      { dst: '198.18.0.3', dev: 'cali0000000000b', lladdr: '02:00:00:00:00:03' },
    ],
    sysctl: { 'net.ipv4.conf.cali0000000000a.proxy_arp': '1', 'net.ipv4.conf.cali0000000000a.forwarding': '1' },
  });
  const r = await syncWorkloadPlumbing(runner, 4, [
    ep('a', 'cali0000000000a', '198.18.0.2'),
    ep('c', 'cali0000000000c', '198.18.0.4'),
  ]);
  t.same(writes(runner), [
    'ip -4 neigh del 198.18.0.3 dev cali0000000000b',
    'ip -4 route del 198.18.0.3/32 dev cali0000000000b proto 80',
    'ip -4 neigh replace 198.18.0.2 lladdr 02:00:c6:12:00:02 dev cali0000000000a nud permanent protocol 80',
  ], 'b removed, a\'s neighbour overwritten in place, nothing for c');
  t.same(r.pendingInterfaces, ['cali0000000000c'], 'c reported for retry');
  t.same(r.routesRemoved, [{ dst: '198.18.0.3', dev: 'cali0000000000b' }]);
});

t.test('an interface that vanishes mid-way is pending, not an error; other failures are', async (t) => {
  const runner = fake({ links: ['cali0000000000a'], routes: [], neigh: [], sysctl: {} })
    .on((c) => c.command === 'ip' && c.args[2] === 'replace' && c.args[1] === 'route'
      ? { stdout: '', stderr: 'Cannot find device "cali0000000000a"\n', exitCode: 1 } : undefined);
  const r = await syncWorkloadPlumbing(runner, 4, [ep('a', 'cali0000000000a', '198.18.0.2')]);
  t.same(r.pendingInterfaces, ['cali0000000000a']);

  const failing = fake({ links: ['cali0000000000a'], routes: [], neigh: [], sysctl: {} })
    .on((c) => c.command === 'ip' && c.args[2] === 'replace' && c.args[1] === 'route'
      ? { stdout: '', stderr: 'RTNETLINK answers: Operation not permitted\n', exitCode: 2 } : undefined);
  const err = await syncWorkloadPlumbing(failing, 4, [ep('a', 'cali0000000000a', '198.18.0.2')]).catch((e: unknown) => e);
  t.ok(err instanceof PlumbingError);
  t.match((err as Error).message, /Operation not permitted/);
  t.equal((err as PlumbingError).result.neighboursAdded.length, 1, 'the rest was still done');
});

t.test('IPv6: /128 routes without scope, forwarding only', async (t) => {
  const runner = new FakeRunner()
    .reply('ip', JSON.stringify([{ ifname: 'cali0000000000a' }]), ['-j', 'link', 'show'])
    .reply('ip', '[]', ['-6', '-j', 'route'])
    .reply('ip', '[]', ['-6', '-j', 'neigh'])
    .on((c) => c.command === 'ip' && c.args[2] === 'replace' ? '' : undefined)
    .reply('sysctl', 'net.ipv6.conf.cali0000000000a.forwarding = 0\n', ['-e'])
    .reply('sysctl', '', ['-q', '-w']);
  await syncWorkloadPlumbing(runner, 6, [ep('a', 'cali0000000000a', '198.18.0.2', { ipv6Nets: ['fd00:0::2/128'] })]);
  t.same(writes(runner), [
    'ip -6 route replace fd00::2/128 dev cali0000000000a proto 80',
    'ip -6 neigh replace fd00::2 lladdr 02:00:c6:12:00:02 dev cali0000000000a nud permanent protocol 80',
    'sysctl -q -w net.ipv6.conf.cali0000000000a.forwarding=1',
  ]);
});

t.test('bad endpoints are refused before anything runs', async (t) => {
  const cases: [Partial<LocalEndpoint>, RegExp][] = [
    [{ interfaceName: 'cali;rm -rf' }, /interfaceName.*cali;rm -rf/],
    [{ interfaceName: 'cali0123456789abcdef' }, /interfaceName/],
    [{ mac: 'zz:00:00:00:00:00' }, /\.mac/],
    [{ ipv4Nets: ['198.18.0.0/24'] }, /ipv4Nets\[0\].*\/32/],
    [{ ipv4Nets: ['fd00::1/128'] }, /ipv4Nets\[0\]/],
  ];
  for (const [extra, pattern] of cases) {
    const runner = new FakeRunner();
    const err = await syncWorkloadPlumbing(runner, 4, [ep('a', 'cali0000000000a', '198.18.0.2', extra)]).catch((e: unknown) => e);
    t.ok(err instanceof DataplaneInputError, JSON.stringify(extra));
    t.match((err as Error).message, pattern);
    t.same(runner.calls, [], 'nothing ran');
  }
});

t.test('custom protocol number', async (t) => {
  const runner = new FakeRunner()
    .reply('ip', '[]', ['-j', 'link', 'show'])
    .reply('ip', '[]', ['-4', '-j', 'route', 'show', 'table', 'main', 'proto', '201'])
    .reply('ip', '[]', ['-4', '-j', 'neigh', 'show', 'nud', 'permanent', 'proto', '201']);
  const r = await syncWorkloadPlumbing(runner, 4, [], { routeProtocol: 201 });
  t.same(r.commands, []);
  t.equal(runner.calls.length, 3);
});
