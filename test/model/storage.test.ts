// The storage codec: keys, resource <-> KV identity, decoding for calc, and
// bad stored values rejected with errors that name the key.
import t from 'tap';
import {
  decodeDatastoreValue, deletedUpdate, encodeDatastoreValue, escapeKeySegment, formatDatastoreKey, kvToResource,
  parseDatastoreKey, parseResources, POLICIES_PREFIX, PROFILES_PREFIX, resourceKeys, resourceListPrefix,
  resourceToKV, resourceToUpdates, unescapeKeySegment, ValidationError, type DatastoreKey, type Resource,
} from '../../src/model/index.js';

const resources: Resource[] = parseResources(`
- apiVersion: v1
  kind: profile
  metadata:
    name: team/web.1
    labels: {role: web, tier: ""}
    tags: [web, k8s_ns.default]
  spec:
    ingress:
    - action: allow
      protocol: tcp
      source: {tag: web, nets: [10.0.0.0/8, 192.168.1.7/24], notSelector: "has(evil)"}
      destination: {ports: [80, "8000:8080", "443:443"], notPorts: ["22"]}
    - action: pass
      protocol: 6
      notProtocol: udp
      source: {ports: [1024]}
    - action: log
      ipVersion: 6
      destination: {notNets: ["FD00:0:0::1/64"], selector: "all()"}
    egress:
    - action: deny
      protocol: icmp
      icmp: {type: 8, code: 0}
      notICMP: {type: 3}
      destination: {net: 172.16.0.0/12, notTag: blocked}
- apiVersion: v1
  kind: profile
  metadata: {name: empty}
- apiVersion: v1
  kind: policy
  metadata:
    name: ns.allow-dns
    annotations: {owner: "team a"}
  spec:
    order: 12.5
    selector: "calico/k8s_ns == 'demo'"
    types: [egress]
    egress:
    - action: allow
      protocol: udp
      destination: {selector: "k8s-app == 'kube-dns'", ports: [53]}
    - action: allow
      protocol: icmpv6
      icmp: {type: 128}
- apiVersion: v1
  kind: policy
  metadata: {name: untracked}
  spec:
    doNotTrack: true
    ingress: [{action: deny, protocol: sctp}]
- apiVersion: v1
  kind: policy
  metadata: {name: bare}
- apiVersion: v1
  kind: workloadEndpoint
  metadata:
    name: eth0
    node: node-1
    orchestrator: k8s
    workload: ns.pod/1
    activeInstanceID: abc123
    labels: {app: web}
  spec:
    interfaceName: cali0123456789a
    ipNetworks: ["2001:db8::1/128", 10.65.0.1/32]
    ipNATs:
    - {internalIP: "2001:db8::1", externalIP: "2001:db8:ffff::1"}
    - {internalIP: 10.65.0.1, externalIP: 172.16.5.5}
    ipv4Gateway: 169.254.1.1
    mac: 56-B5-54-BE-B2-A2
    profiles: [team/web.1, missing]
- apiVersion: v1
  kind: hostEndpoint
  metadata: {name: eth1, node: node-1, labels: {role: edge}}
  spec:
    interfaceName: eth1
    expectedIPs: ["fd00::5", 10.0.0.5]
    profiles: [empty]
- apiVersion: v1
  kind: hostEndpoint
  metadata: {name: addr-only, node: node-2}
  spec: {expectedIPs: [198.18.0.1]}
`);

t.test('normal form', async (t) => {
  const [web, , , , , wep, hep] = resources;
  const ingress = web?.kind === 'profile' ? web.spec.ingress : undefined;
  t.strictSame(ingress?.[0]?.source?.nets, ['10.0.0.0/8', '192.168.1.0/24'], 'host bits masked');
  t.strictSame(ingress?.[0]?.destination?.ports, [80, '8000:8080', 443], '"a:a" reads as a');
  t.strictSame(ingress?.[0]?.destination?.notPorts, [22], '"22" reads as 22');
  t.strictSame(ingress?.[2]?.destination?.notNets, ['fd00::/64']);
  t.strictSame(wep?.kind === 'workloadEndpoint' && wep.spec.ipNetworks, ['10.65.0.1/32', '2001:db8::1/128'], 'IPv4 first');
  t.equal(wep?.kind === 'workloadEndpoint' && wep.spec.mac, '56:b5:54:be:b2:a2');
  t.strictSame(hep?.kind === 'hostEndpoint' && hep.spec.expectedIPs, ['10.0.0.5', 'fd00::5']);
});

t.test('resource -> KV -> resource is identity', async (t) => {
  for (const r of resources) {
    const kv = resourceToKV(r);
    t.equal(kv.length, r.kind === 'profile' ? 3 : 1, `${r.kind} ${r.metadata.name}: key count`);
    t.strictSame(kvToResource(r.kind, kv), r, `${r.kind} ${r.metadata.name}`);
    // Decoding for calc agrees with the encoder.
    for (const [i, { key, value }] of kv.entries()) {
      const k = parseDatastoreKey(key);
      t.ok(k, `${key} parses`);
      const decoded = decodeDatastoreValue(k!, value);
      t.strictSame(decoded, resourceToUpdates(r)[i]);
      t.equal(encodeDatastoreValue(decoded), value);
      t.strictSame(deletedUpdate(k!), { ...k });
    }
  }
});

t.test('keys', async (t) => {
  t.equal(escapeKeySegment('a/b%c'), 'a%2fb%25c');
  t.equal(unescapeKeySegment('a%2fb%25c'), 'a/b%c');
  t.equal(unescapeKeySegment('a%2Fb'), 'a/b');
  t.equal(unescapeKeySegment('a%41'), undefined);
  const [web, , dns, , , wep, hep] = resources;
  t.strictSame(resourceToKV(web!).map((kv) => kv.key), [
    '/calico/v1/policy/profile/team%2fweb.1/rules',
    '/calico/v1/policy/profile/team%2fweb.1/tags',
    '/calico/v1/policy/profile/team%2fweb.1/labels',
  ]);
  t.strictSame(resourceKeys('profile', { name: 'team/web.1' }), resourceToKV(web!).map((kv) => kv.key));
  t.strictSame(resourceToKV(dns!).map((kv) => kv.key), [`${POLICIES_PREFIX}ns.allow-dns`]);
  t.equal(resourceToKV(wep!)[0]?.key, '/calico/v1/host/node-1/workload/k8s/ns.pod%2f1/endpoint/eth0');
  t.equal(resourceToKV(hep!)[0]?.key, '/calico/v1/host/node-1/endpoint/eth1');

  const keys: DatastoreKey[] = [
    { kind: 'profileRules', profile: 'a/b' },
    { kind: 'profileTags', profile: 'a' },
    { kind: 'profileLabels', profile: 'a.b' },
    { kind: 'policy', tier: 'default', name: 'p/q' },
    { kind: 'workloadEndpoint', id: { node: 'n', orchestrator: 'o', workload: 'w/x', name: 'e' } },
    { kind: 'hostEndpoint', id: { node: 'n', name: 'h' } },
  ];
  for (const k of keys) t.strictSame(parseDatastoreKey(formatDatastoreKey(k)), k, formatDatastoreKey(k));
  for (const other of [
    '/calico/v1/policy/tier/default/metadata',
    '/calico/v1/host/node-1/config/foo',
    '/calico/v1/host/node-1/workload/k8s/w/endpoint',
    '/calico/v1/policy/profile/a/b/rules',
    '/calico/v1/policy/profile/a%zz/rules',
    '/calico/v1/policy/profile/bad name/rules',
    '/calico/v1/host/no\nde/endpoint/h',
    '/calico/v2/policy/profile/a/rules',
  ]) {
    t.equal(parseDatastoreKey(other), undefined, JSON.stringify(other));
  }
  t.equal(resourceListPrefix('profile'), PROFILES_PREFIX);
  t.equal(resourceListPrefix('profile', { name: 'a/b' }), `${PROFILES_PREFIX}a%2fb/`);
  t.equal(resourceListPrefix('workloadEndpoint', { node: 'n', orchestrator: 'k8s' }), '/calico/v1/host/n/workload/k8s/');
  t.equal(resourceListPrefix('workloadEndpoint', { orchestrator: 'k8s' }), '/calico/v1/host/');
  t.equal(resourceListPrefix('hostEndpoint', { node: 'n' }), '/calico/v1/host/n/endpoint/');
});

t.test('stored values use the Calico v1 backend names', async (t) => {
  const [web, , dns, untracked, bare] = resources;
  const rules = JSON.parse(resourceToKV(web!)[0]!.value) as { inbound_rules: unknown[]; outbound_rules: unknown[] };
  t.strictSame(rules.inbound_rules[0], {
    action: 'allow',
    protocol: 'tcp',
    src_tag: 'web',
    src_nets: ['10.0.0.0/8', '192.168.1.0/24'],
    dst_ports: [80, '8000:8080', 443],
    '!src_selector': 'has(evil)',
    '!dst_ports': [22],
  });
  t.strictSame(rules.inbound_rules[1], { action: 'next-tier', protocol: 6, '!protocol': 'udp', src_ports: [1024] });
  t.strictSame(rules.outbound_rules[0], {
    action: 'deny', protocol: 'icmp', icmp_type: 8, icmp_code: 0, '!icmp_type': 3, dst_net: '172.16.0.0/12', '!dst_tag': 'blocked',
  });
  t.strictSame(Object.keys(rules.outbound_rules[0] as object), [
    'action', 'protocol', 'icmp_type', 'icmp_code', '!icmp_type', 'dst_net', '!dst_tag',
  ], 'keys in libcalico-go order');
  t.equal(resourceToKV(web!)[1]?.value, '["web","k8s_ns.default"]');
  t.equal(resourceToKV(web!)[2]?.value, '{"role":"web","tier":""}');
  t.equal(
    resourceToKV(dns!)[0]?.value,
    '{"order":12.5,"inbound_rules":[],"outbound_rules":[{"action":"allow","protocol":"udp","dst_selector":"k8s-app == \'kube-dns\'","dst_ports":[53]},' +
      '{"action":"allow","protocol":"icmpv6","icmp_type":128}],"selector":"calico/k8s_ns == \'demo\'","annotations":{"owner":"team a"},"types":["egress"]}',
  );
  t.equal(resourceToKV(untracked!)[0]?.value, '{"inbound_rules":[{"action":"deny","protocol":"sctp"}],"outbound_rules":[],"selector":"","untracked":true}');
  t.equal(resourceToKV(bare!)[0]?.value, '{"inbound_rules":[],"outbound_rules":[],"selector":""}');
});

t.test('a profile read from some of its keys', async (t) => {
  const r = kvToResource('profile', [{ key: '/calico/v1/policy/profile/p/tags', value: '["a","b","a"]' }]);
  t.strictSame(r, { apiVersion: 'v1', kind: 'profile', metadata: { name: 'p', tags: ['a', 'b'] }, spec: {} });
  t.throws(
    () => kvToResource('profile', [
      { key: '/calico/v1/policy/profile/p/tags', value: '[]' },
      { key: '/calico/v1/policy/profile/q/labels', value: '{}' },
    ]),
    { name: 'ValidationError', value: '/calico/v1/policy/profile/q/labels' },
  );
  t.throws(() => kvToResource('policy', [{ key: '/calico/v1/policy/profile/p/tags', value: '[]' }]), {
    name: 'ValidationError', message: /not a key of a policy/,
  });
});

t.test('bad stored values are rejected naming the key and the field', async (t) => {
  const rulesKey: DatastoreKey = { kind: 'profileRules', profile: 'p' };
  const wepKey: DatastoreKey = { kind: 'workloadEndpoint', id: { node: 'n', orchestrator: 'k8s', workload: 'w', name: 'eth0' } };
  const polKey: DatastoreKey = { kind: 'policy', tier: 'default', name: 'x' };
  const goodWep = { state: 'active', name: 'cali1', profile_ids: [], ipv4_nets: ['10.0.0.1/32'], ipv6_nets: [] };
  const cases: [string, DatastoreKey, string, string, unknown][] = [
    ['not JSON', rulesKey, '{"inbound_rules": [', '', '{"inbound_rules": ['],
    ['rules not an object', rulesKey, '[1,2]', '', [1, 2]],
    ['rules list of the wrong type', rulesKey, '{"inbound_rules": {"action": "allow"}}', 'inbound_rules', { action: 'allow' }],
    ['port out of range', rulesKey, '{"inbound_rules":[{"action":"allow","protocol":"tcp","dst_ports":[80,70000]}]}', 'inbound_rules[0].dst_ports[1]', 70000],
    ['ports without tcp/udp', rulesKey, '{"outbound_rules":[{"action":"allow","!src_ports":[80]}]}', 'outbound_rules[0].!src_ports', [80]],
    ['icmp code without type', rulesKey, '{"inbound_rules":[{"action":"allow","protocol":"icmp","icmp_code":1}]}', 'inbound_rules[0].icmp_code', 1],
    ['mixed IP versions', rulesKey, '{"inbound_rules":[{"action":"allow","src_net":"10.0.0.0/8","!dst_nets":["::/0"]}]}', 'inbound_rules[0].!dst_nets[0]', '::/0'],
    ['API action name in storage', rulesKey, '{"inbound_rules":[{"action":"pass"}]}', 'inbound_rules[0].action', 'pass'],
    ['unknown rule key', rulesKey, '{"inbound_rules":[{"action":"allow","dst_prts":[1]}]}', 'inbound_rules[0].dst_prts', [1]],
    ['tag of the wrong type', { kind: 'profileTags', profile: 'p' }, '["a", 7]', '[1]', 7],
    ['hostile tag', { kind: 'profileTags', profile: 'p' }, '["a -j ACCEPT"]', '[0]', 'a -j ACCEPT'],
    ['label value of the wrong type', { kind: 'profileLabels', profile: 'p' }, '{"a": true}', 'a', true],
    ['policy order a string', polKey, '{"order":"1","selector":""}', 'order', '1'],
    ['policy selector invalid', polKey, '{"selector":"a =="}', 'selector', 'a =='],
    ['endpoint interface hostile', wepKey, JSON.stringify({ ...goodWep, name: 'cali1 -j ACCEPT' }), 'name', 'cali1 -j ACCEPT'],
    ['endpoint IPv6 net in ipv4_nets', wepKey, JSON.stringify({ ...goodWep, ipv4_nets: ['fd00::1/128'] }), 'ipv4_nets[0]', 'fd00::1/128'],
    ['endpoint net of the wrong type', wepKey, JSON.stringify({ ...goodWep, ipv4_nets: '10.0.0.1/32' }), 'ipv4_nets', '10.0.0.1/32'],
    ['endpoint without state', wepKey, JSON.stringify({ ...goodWep, state: undefined }), 'state', undefined],
    ['endpoint bad MAC', wepKey, JSON.stringify({ ...goodWep, mac: 'zz:00:00:00:00:00' }), 'mac', 'zz:00:00:00:00:00'],
    ['endpoint unknown key', wepKey, JSON.stringify({ ...goodWep, if_name: 'x' }), 'if_name', 'x'],
    ['host endpoint IPv4 in the IPv6 list', { kind: 'hostEndpoint', id: { node: 'n', name: 'h' } }, '{"name":"eth0","expected_ipv6_addrs":["10.0.0.1"]}', 'expected_ipv6_addrs[0]', '10.0.0.1'],
  ];
  for (const [name, key, json, field, value] of cases) {
    let caught: unknown;
    try {
      decodeDatastoreValue(key, json);
    } catch (e) {
      caught = e;
    }
    t.type(caught, ValidationError, name);
    if (!(caught instanceof ValidationError)) continue;
    const keyText = formatDatastoreKey(key);
    t.equal(caught.where, keyText, `${name}: names the key`);
    t.ok(caught.message.includes(keyText), `${name}: message names the key: ${caught.message}`);
    t.equal(caught.field, field, `${name}: names the field`);
    t.same(caught.value, value, `${name}: carries the value`);
  }
});

t.test('a stored rule without an action reads as allow (Calico backend semantics)', async (t) => {
  const u = decodeDatastoreValue({ kind: 'profileRules', profile: 'p' }, '{"inbound_rules":[{}],"outbound_rules":[]}');
  t.strictSame(u, { kind: 'profileRules', profile: 'p', value: { inbound: [{ action: 'allow' }], outbound: [] } });
});
