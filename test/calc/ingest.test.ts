// Raw datastore pairs to updates: good values decode, bad ones are reported and skipped.
import t from 'tap';
import { CalcGraph, updatesFromKVs } from '../../src/calc/index.js';

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
