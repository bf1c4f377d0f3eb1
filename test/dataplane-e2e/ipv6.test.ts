// The IPv6 family: applied when a local endpoint has an IPv6 address (ip6tables
// chains, cali6 IP sets, /128 routes and neighbours), and removed again, with
// everything Tabby made there, once no endpoint has one.
import t from 'tap';
import { notRootReason } from '../helpers/netns.js';
import { AgentHarness } from './agent-harness.js';

const skip = notRootReason();

t.test('IPv6 comes and goes with IPv6 endpoints', { skip }, async (t) => {
  const h = await AgentHarness.create(t, [
    { name: 'a', ip: '198.18.6.2' },
    { name: 'b', ip: '198.18.6.3' },
  ]);
  const a = h.net.workload('a');
  const dual = (name: string, v6: string | undefined) => {
    const ep = h.endpoint(name, { profiles: ['dual'] });
    const spec = ep.spec as { ipNetworks: string[] };
    if (v6) spec.ipNetworks.push(`${v6}/128`);
    return ep;
  };
  const profile = {
    apiVersion: 'v1', kind: 'profile', metadata: { name: 'dual', labels: { net: 'dual' } },
    spec: { ingress: [{ action: 'allow', source: { selector: "net == 'dual'" } }], egress: [{ action: 'allow' }] },
  };
  await h.apply([profile, dual('a', 'fd00:198:18::2'), dual('b', 'fd00:198:18::3')]);

  const before = await h.diff();
  t.equal(before.code, 1);
  t.match(before.stdout, `+++ desired/ipv6/filter/cali-tw-${a.iface}`, 'diff covers IPv6 when an endpoint has an IPv6 address');
  const dump = await h.applyOnce();
  t.same(dump.families.map((f) => [f.ipVersion, f.reason]), [[4, 'enforce'], [6, 'enforce']], 'both families applied');
  t.match(await h.host('ip6tables-save', ['-t', 'filter']), `:cali-tw-${a.iface}`, 'IPv6 endpoint chains in ip6tables');
  t.match(await h.host('ipset', ['save']), /fd00:198:18::3/, 'IPv6 members in a cali6 set');
  t.match(await h.host('ip', ['-6', 'route', 'show', 'proto', '80']), `fd00:198:18::2 dev ${a.iface}`, 'a /128 route');
  t.match(await h.host('ip', ['-6', 'neigh', 'show', 'nud', 'permanent', 'proto', '80']), `fd00:198:18::2 dev ${a.iface} lladdr ${a.mac}`, 'a neighbour entry');
  t.equal((await h.diff()).code, 0, 'in sync');

  // No IPv6 address any more: the IPv6 family is cleaned up, IPv4 stays.
  await h.apply([dual('a', undefined), dual('b', undefined)]);
  const cleanup = await h.applyOnce();
  t.same(cleanup.families.map((f) => [f.ipVersion, f.reason]), [[4, 'enforce'], [6, 'cleanup']], 'IPv6 is removed');
  t.notMatch(await h.host('ip6tables-save', ['-t', 'filter']), 'cali', 'no IPv6 chain or hook left');
  t.notMatch(await h.host('ipset', ['list', '-n']), 'cali6', 'no cali6 set left');
  t.equal((await h.host('ip', ['-6', 'route', 'show', 'proto', '80'])).trim(), '', 'no IPv6 route left');
  t.equal((await h.host('ip', ['-6', 'neigh', 'show', 'nud', 'permanent', 'proto', '80'])).trim(), '', 'no IPv6 neighbour left');
  t.match(await h.iptablesSave(), `:cali-tw-${a.iface}`, 'IPv4 is still in force');
  const later = await h.applyOnce();
  t.same(later.families.map((f) => f.ipVersion), [4], 'with nothing left, IPv6 is not handled at all');
  t.equal((await h.diff()).code, 0, 'in sync');
});
