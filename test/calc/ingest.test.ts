// Raw datastore pairs to updates: good values decode, bad ones are reported and skipped.
import t from 'tap';
import { CalcGraph, createCalcGraph, desiredStateFromKVs, updatesFromKVs } from '../../src/calc/index.js';

t.test('decodes, skips and reports', (t) => {
  const ep = '/calico/v1/host/n1/workload/k8s/ns%2fpod/endpoint/eth0';
  const result = updatesFromKVs([
    { key: '/calico/v1/policy/profile/web/tags', value: '["web"]' },
    { key: '/calico/v1/policy/profile/web/labels', value: '{"app":"web"}' },
    { key: '/calico/v1/policy/profile/web/rules', value: '{"inbound_rules":[{"action":"allow","src_tag":"web"}],"outbound_rules":[{"action":"allow"}]}' },
    { key: '/calico/v1/policy/profile/bad/rules', value: '{"inbound_rules":[{"action":"explode"}],"outbound_rules":[]}' },
    { key: '/calico/v1/policy/tier/default/policy/p', value: '{"selector":"app == \'web\'","order":10,"inbound_rules":[],"outbound_rules":[{"action":"deny"}]}' },
    { key: ep, value: JSON.stringify({ state: 'active', name: 'cali1', profile_ids: ['web'], ipv4_nets: ['198.18.0.1/32'], ipv6_nets: [], labels: {} }) },
    { key: '/calico/v1/host/n1/workload/k8s/x/endpoint/eth1', value: '{not json' },
    { key: '/calico/v1/config/LogSeverityScreen', value: 'info' },
    { key: '/calico/v1/policy/profile/old/tags' },
  ]);
  t.same(result.updates.map((u) => u.kind), ['profileTags', 'profileLabels', 'profileRules', 'policy', 'workloadEndpoint', 'profileTags']);
  t.same(result.updates[5], { kind: 'profileTags', profile: 'old' }, 'no value: a deletion');
  t.same(result.invalid.map((i) => i.key), ['/calico/v1/policy/profile/bad/rules', '/calico/v1/host/n1/workload/k8s/x/endpoint/eth1']);
  t.match(result.invalid[0]!.error, /explode/, 'the reason names the bad value');
  t.same(result.ignored, ['/calico/v1/config/LogSeverityScreen']);

  const g = new CalcGraph('n1');
  for (const u of result.updates) g.apply(u);
  const s = g.snapshot();
  t.same(s.endpoints.get('cali1')!.id, 'n1/k8s/ns/pod/eth0');
  t.same(s.endpoints.get('cali1')!.egressPolicies, ['p']);
  t.same([...s.profiles.keys()], ['web']);
  t.end();
});

t.test('raw events: outcomes, invalid values count as deletions, stats and resync', (t) => {
  const key = '/calico/v1/host/n1/workload/k8s/ns%2fpod/endpoint/eth0';
  const value = (labels: Record<string, string>) =>
    JSON.stringify({ state: 'active', name: 'cali1', profile_ids: [], ipv4_nets: ['198.18.0.1/32'], ipv6_nets: [], labels });
  const pol = '/calico/v1/policy/tier/default/policy/p';
  const { graph: g, invalid, ignored } = createCalcGraph('n1', [
    { key, value: value({ app: 'web' }) },
    { key: pol, value: '{"selector":"app == \'web\'","inbound_rules":[{"action":"allow","src_selector":"has(app)"}]}' },
    { key: '/calico/v1/policy/profile/x/tags', value: '["bad tag"]' },
    { key: '/calico/v1/config/LogSeverityScreen', value: 'info' },
  ]);
  t.same(invalid.map((i) => i.key), ['/calico/v1/policy/profile/x/tags']);
  t.same(ignored, ['/calico/v1/config/LogSeverityScreen']);
  let d = g.flush();
  t.same([...d.endpointsChanged.keys()], ['cali1'], 'the first flush reports everything');
  t.same(g.stats(), { localEndpoints: 1, activePolicies: 1, activeProfiles: 0, ipSets: 1, ipSetMembers: 1, datastoreKeys: 2, invalidKeys: 1 });

  // A bad value replaces the last valid one: the policy is gone, as in Felix.
  const bad = g.applyEvent(pol, '{"selector":"app ==="}');
  t.equal(bad.status, 'invalid');
  t.equal(bad.key, pol);
  t.match(bad.status === 'invalid' ? bad.error : '', /selector/, 'the error names the field');
  d = g.flush();
  t.same([...d.policiesRemoved], ['p']);
  t.same([...d.ipSetsDeleted].length, 1);
  t.same(g.stats().invalidKeys, 2);

  // A garbage value under the endpoint's key written another way (%2F) removes the endpoint.
  const other = key.replace('%2f', '%2F');
  t.same(g.applyEvent(other, '{"state":"active","name":"cali 1; -j ACCEPT"}').status, 'invalid');
  t.same([...g.flush().endpointsRemoved], ['cali1']);
  t.same(g.applyEvent('/calico/v1/policy/tier/other/policy/q', '{}'), { status: 'ignored', key: '/calico/v1/policy/tier/other/policy/q' });
  t.doesNotThrow(() => g.applyEvent('/calico/v1/host/n1/endpoint/h', '\u0000'));

  // A re-list: keys it lacks are deleted, including invalid ones; the delta is only the difference.
  g.applyEvent(key, value({ app: 'web' }));
  g.applyEvent(pol, '{"selector":"app == \'web\'"}');
  g.flush();
  const result = g.resync([{ key, value: value({ app: 'db' }) }]);
  t.same(result.removed.sort(), ['/calico/v1/host/n1/endpoint/h', '/calico/v1/policy/profile/x/tags', pol].sort());
  d = g.flush();
  t.same([...d.policiesRemoved], ['p']);
  t.same(d.endpointsChanged.get('cali1')!.ingressPolicies, []);
  t.same(g.stats(), { localEndpoints: 1, activePolicies: 0, activeProfiles: 0, ipSets: 0, ipSetMembers: 0, datastoreKeys: 1, invalidKeys: 0 });
  t.end();
});

t.test('a listing applies profiles first yet reports outcomes in listing order', (t) => {
  // Profile keys sort after endpoints in a listing; the graph applies them first (so endpoints
  // are indexed once) but must report invalid and ignored keys in the order they were listed,
  // and let a later value of the same key win.
  const ep = (name: string, iface: string, profiles: string[], labels: Record<string, string> = {}) => ({
    key: `/calico/v1/host/n1/workload/k8s/${name}/endpoint/eth0`,
    value: JSON.stringify({ state: 'active', name: iface, profile_ids: profiles, ipv4_nets: [`198.18.0.${iface.length}/32`], ipv6_nets: [], labels }),
  });
  const listing = [
    ep('a', 'cali1', ['web']),
    { key: '/calico/v1/config/One', value: '1' },
    { key: '/calico/v1/host/n1/workload/k8s/bad/endpoint/eth0', value: '{not json' },
    ep('b', 'cali22', ['web', 'db'], { role: 'x' }),
    { key: '/calico/v1/policy/tier/default/policy/p', value: '{"selector":"has(db) && role == \'x\'","inbound_rules":[{"action":"allow","src_selector":"app == \'web\'"}]}' },
    { key: '/calico/v1/policy/profile/web/labels', value: '{"app":"web"}' },
    { key: '/calico/v1/policy/profile/web/tags', value: '["bad tag"]' },
    { key: '/calico/v1/policy/profile/%zz/tags', value: '["x"]' },
    { key: '/calico/v1/policy/profile/db/tags', value: '["db"]' },
    { key: '/calico/v1/policy/profile/web/labels', value: '{"app":"web","tier":"front"}' },
    { key: '/calico/v1/config/Two', value: '2' },
  ];
  const { graph, invalid, ignored } = createCalcGraph('n1', listing);
  t.same(invalid.map((i) => i.key), [
    '/calico/v1/host/n1/workload/k8s/bad/endpoint/eth0',
    '/calico/v1/policy/profile/web/tags',
  ]);
  t.same(ignored, ['/calico/v1/config/One', '/calico/v1/policy/profile/%zz/tags', '/calico/v1/config/Two']);
  const s = graph.snapshot();
  t.same(s.endpoints.get('cali22')!.ingressPolicies, ['p'], 'b inherits the tag db from its second profile');
  t.same(s.endpoints.get('cali1')!.ingressPolicies, [], 'a has no profile with the tag db');
  const sets = [...s.ipSets.values()];
  t.equal(sets.length, 1);
  t.same([...sets[0]!.v4].sort(), ['198.18.0.5/32', '198.18.0.6/32'], 'both endpoints inherit app=web');
  t.end();
});

t.test('an interface name clash resolves as in the full computation, whatever the names', (t) => {
  // Names that order differently once separators or escapes follow them.
  const names: [string, string, string][] = [
    ['k8s', 'a', 'eth0'], ['k8s', 'a-b', 'eth0'], ['k8s', 'a%2fb', 'eth0'], ['k8s', 'a.b', 'eth0'], ['k8s', 'a0', 'eth0'],
    ['k8s', 'a', 'eth'], ['k8s', 'a', 'eth0-x'], ['k', 'zz', 'e'], ['k8s-x', 'a', 'e'], ['k8s', 'a%25', 'e'],
  ];
  const value = JSON.stringify({ state: 'active', name: 'cali1', profile_ids: [], ipv4_nets: [], ipv6_nets: [], labels: {} });
  const pairs = names.map(([o, w, e]) => ({ key: `/calico/v1/host/n1/workload/${o}/${w}/endpoint/${e}`, value }));
  // Every subset of two or more, in listing order and reversed.
  for (let mask = 1; mask < 1 << names.length; mask++) {
    const subset = pairs.filter((_, i) => mask & (1 << i));
    if (subset.length < 2) continue;
    for (const listing of [subset, [...subset].reverse()]) {
      const want = desiredStateFromKVs('n1', listing).state.endpoints.get('cali1')!.id;
      const got = createCalcGraph('n1', listing).graph.snapshot().endpoints.get('cali1')!.id;
      if (got !== want) {
        t.equal(got, want, `clash among ${listing.map((p) => p.key).join(', ')}`);
        return t.end();
      }
    }
  }
  t.pass('the same endpoint wins in every subset');
  t.end();
});
