// A table of malformed inputs: each is rejected with an error that names the
// field and shows the value, and parseResources returns nothing for the file.
import t from 'tap';
import {
  InputSyntaxError, parseResources, resolveKind, showValue, UnknownKindError, ValidationError,
} from '../../src/model/index.js';

const profile = (spec: string, meta = '  name: p1'): string =>
  `apiVersion: v1\nkind: profile\nmetadata:\n${meta}\nspec:\n${spec}`;
const policy = (spec: string, meta = '  name: pol1'): string =>
  `apiVersion: v1\nkind: policy\nmetadata:\n${meta}\nspec:\n${spec}`;
const ingress = (rule: string): string => profile(`  ingress:\n  - action: allow\n${rule}`);
const wep = (spec: string, meta = '  name: eth0\n  node: node1\n  orchestrator: k8s\n  workload: w1'): string =>
  `apiVersion: v1\nkind: workloadEndpoint\nmetadata:\n${meta}\nspec:\n${spec}`;
const goodWepSpec = '  interfaceName: cali0123456789a\n  ipNetworks: [10.65.0.1/32]\n';

interface Case {
  name: string;
  text: string;
  field: string;
  value: unknown;
}

const cases: Case[] = [
  // names
  { name: 'name with a space', text: profile('  {}', '  name: bad name'), field: 'metadata.name', value: 'bad name' },
  { name: 'name too long', text: profile('  {}', `  name: ${'a'.repeat(129)}`), field: 'metadata.name', value: 'a'.repeat(129) },
  { name: 'policy name carrying iptables arguments', text: policy('  order: 1', '  name: "x -j ACCEPT"'), field: 'metadata.name', value: 'x -j ACCEPT' },
  { name: 'name with a double quote', text: profile('  {}', '  name: \'a"b\''), field: 'metadata.name', value: 'a"b' },
  { name: 'name with a newline', text: profile('  {}', '  name: "a\\nb"'), field: 'metadata.name', value: 'a\nb' },
  { name: 'name that is a number', text: profile('  {}', '  name: 42'), field: 'metadata.name', value: 42 },
  { name: 'missing name', text: profile('  {}', '  labels: {a: b}'), field: 'metadata.name', value: undefined },
  // labels and tags
  { name: 'label key with a space', text: profile('  {}', '  name: p1\n  labels:\n    "a b": c'), field: 'metadata.labels["a b"]', value: 'a b' },
  { name: 'label value with a quote', text: profile('  {}', '  name: p1\n  labels:\n    role: \'x"; -j ACCEPT\''), field: 'metadata.labels.role', value: 'x"; -j ACCEPT' },
  { name: 'label value with a newline', text: profile('  {}', '  name: p1\n  labels:\n    role: "a\\nb"'), field: 'metadata.labels.role', value: 'a\nb' },
  { name: 'label value that is a number', text: profile('  {}', '  name: p1\n  labels:\n    tier: 1'), field: 'metadata.labels.tier', value: 1 },
  { name: 'label value too long', text: profile('  {}', `  name: p1\n  labels:\n    a: ${'b'.repeat(64)}`), field: 'metadata.labels.a', value: 'b'.repeat(64) },
  { name: 'tag with a space', text: profile('  {}', '  name: p1\n  tags: [ok, "not ok"]'), field: 'metadata.tags[1]', value: 'not ok' },
  // CIDRs
  { name: 'CIDR with an octet over 255', text: ingress('    source:\n      net: 10.0.0.300/8'), field: 'spec.ingress[0].source.net', value: '10.0.0.300/8' },
  { name: 'CIDR prefix too long', text: ingress('    source:\n      net: 10.0.0.0/33'), field: 'spec.ingress[0].source.net', value: '10.0.0.0/33' },
  { name: 'IPv6 CIDR with two ::', text: ingress('    destination:\n      nets: [10.0.0.0/8, "fe80::1::2/64"]'), field: 'spec.ingress[0].destination.nets[1]', value: 'fe80::1::2/64' },
  { name: 'CIDR without a prefix length', text: ingress('    destination:\n      notNet: 10.1.2.3'), field: 'spec.ingress[0].destination.notNet', value: '10.1.2.3' },
  // ports
  { name: 'port out of range', text: ingress('    protocol: tcp\n    destination:\n      ports: [80, 70000]'), field: 'spec.ingress[0].destination.ports[1]', value: 70000 },
  { name: 'port zero', text: ingress('    protocol: udp\n    source:\n      ports: [0]'), field: 'spec.ingress[0].source.ports[0]', value: 0 },
  { name: 'port range that runs backwards', text: ingress('    protocol: tcp\n    destination:\n      ports: ["90:80"]'), field: 'spec.ingress[0].destination.ports[0]', value: '90:80' },
  { name: 'port range written with a dash', text: ingress('    protocol: tcp\n    destination:\n      ports: ["80-90"]'), field: 'spec.ingress[0].destination.ports[0]', value: '80-90' },
  { name: 'port with iptables arguments', text: ingress('    protocol: tcp\n    destination:\n      ports: ["80 -j ACCEPT"]'), field: 'spec.ingress[0].destination.ports[0]', value: '80 -j ACCEPT' },
  { name: 'ports without a protocol', text: ingress('    destination:\n      ports: [80]'), field: 'spec.ingress[0].destination.ports', value: [80] },
  { name: 'ports with protocol icmp', text: ingress('    protocol: icmp\n    source:\n      ports: [80]'), field: 'spec.ingress[0].source.ports', value: [80] },
  { name: 'notPorts with protocol sctp', text: ingress('    protocol: sctp\n    destination:\n      notPorts: [80]'), field: 'spec.ingress[0].destination.notPorts', value: [80] },
  // protocols, actions, ICMP, IP versions
  { name: 'unknown protocol name', text: ingress('    protocol: tcpx'), field: 'spec.ingress[0].protocol', value: 'tcpx' },
  { name: 'protocol number out of range', text: ingress('    notProtocol: 256'), field: 'spec.ingress[0].notProtocol', value: 256 },
  { name: 'unknown action', text: profile('  egress:\n  - action: accept'), field: 'spec.egress[0].action', value: 'accept' },
  { name: 'rule without an action', text: profile('  egress:\n  - protocol: tcp'), field: 'spec.egress[0].action', value: undefined },
  { name: 'ICMP code without a type', text: ingress('    protocol: icmp\n    icmp:\n      code: 0'), field: 'spec.ingress[0].icmp.code', value: 0 },
  { name: 'ICMP type out of range', text: ingress('    protocol: icmp\n    icmp:\n      type: 256'), field: 'spec.ingress[0].icmp.type', value: 256 },
  { name: 'ICMP type 255 (iptables reads it as any type)', text: ingress('    protocol: icmp\n    icmp:\n      type: 255'), field: 'spec.ingress[0].icmp.type', value: 255 },
  { name: 'ICMP match without an ICMP protocol', text: ingress('    protocol: tcp\n    notICMP:\n      type: 8'), field: 'spec.ingress[0].notICMP', value: { type: 8 } },
  { name: 'icmpv6 rule with an IPv4 CIDR', text: ingress('    protocol: icmpv6\n    source:\n      net: 10.0.0.0/8'), field: 'spec.ingress[0].source.net', value: '10.0.0.0/8' },
  { name: 'ipVersion 6 with an IPv4 CIDR', text: ingress('    ipVersion: 6\n    destination:\n      nets: [10.0.0.0/8]'), field: 'spec.ingress[0].destination.nets[0]', value: '10.0.0.0/8' },
  { name: 'IPv4 and IPv6 CIDRs in one rule', text: ingress('    source:\n      net: 10.0.0.0/8\n    destination:\n      net: "fd00::/8"'), field: 'spec.ingress[0].destination.net', value: 'fd00::/8' },
  { name: 'ipVersion 5', text: ingress('    ipVersion: 5'), field: 'spec.ingress[0].ipVersion', value: 5 },
  // unknown fields
  { name: 'unknown field in a rule', text: ingress('    destinaton:\n      ports: [80]'), field: 'spec.ingress[0].destinaton', value: { ports: [80] } },
  { name: 'unknown field in an entity', text: ingress('    protocol: tcp\n    destination:\n      port: 80'), field: 'spec.ingress[0].destination.port', value: 80 },
  { name: 'unknown top-level field', text: `${profile('  {}')}\nstatus: ok`, field: 'status', value: 'ok' },
  { name: 'unknown metadata field', text: profile('  {}', '  name: p1\n  namespace: default'), field: 'metadata.namespace', value: 'default' },
  { name: 'unknown field in JSON', text: '{"apiVersion":"v1","kind":"policy","metadata":{"name":"p"},"spec":{"oder":1}}', field: 'spec.oder', value: 1 },
  // selectors
  { name: 'invalid policy selector', text: policy('  selector: "role == "'), field: 'spec.selector', value: 'role == ' },
  { name: 'invalid rule selector', text: policy('  ingress:\n  - action: allow\n    source:\n      selector: "a ==== b"'), field: 'spec.ingress[0].source.selector', value: 'a ==== b' },
  { name: 'selector with a newline', text: policy('  selector: "a == \'b\'\\n-j ACCEPT"'), field: 'spec.selector', value: "a == 'b'\n-j ACCEPT" },
  // policy fields
  { name: 'order that is not a number', text: policy('  order: high'), field: 'spec.order', value: 'high' },
  { name: 'repeated policy type', text: policy('  types: [ingress, ingress]'), field: 'spec.types[1]', value: 'ingress' },
  // apiVersion and kind
  { name: 'wrong apiVersion', text: profile('  {}').replace('apiVersion: v1', 'apiVersion: projectcalico.org/v3'), field: 'apiVersion', value: 'projectcalico.org/v3' },
  { name: 'wrong kind', text: profile('  {}').replace('kind: profile', 'kind: Profile'), field: 'kind', value: 'Profile' },
  { name: 'missing kind', text: 'apiVersion: v1\nmetadata:\n  name: x\n', field: 'kind', value: undefined },
  { name: 'a list item of the wrong kind', text: 'apiVersion: v1\nkind: policyList\nitems:\n- kind: profile\n  metadata: {name: x}\n', field: 'items[0].kind', value: 'profile' },
  { name: 'a document that is not a mapping', text: 'just some words', field: '', value: 'just some words' },
  // workload and host endpoints
  { name: 'interface name with iptables arguments', text: wep('  interfaceName: "eth0 -j ACCEPT"'), field: 'spec.interfaceName', value: 'eth0 -j ACCEPT' },
  { name: 'interface name too long', text: wep('  interfaceName: cali0123456789abc'), field: 'spec.interfaceName', value: 'cali0123456789abc' },
  { name: 'interface name with a newline', text: wep('  interfaceName: "cali1\\n"'), field: 'spec.interfaceName', value: 'cali1\n' },
  { name: 'endpoint network that is not a /32', text: wep('  interfaceName: cali1\n  ipNetworks: [10.65.0.0/24]'), field: 'spec.ipNetworks[0]', value: '10.65.0.0/24' },
  { name: 'short MAC', text: wep(`${goodWepSpec}  mac: 56:b5:54:be:b2`), field: 'spec.mac', value: '56:b5:54:be:b2' },
  { name: 'NAT outside the endpoint networks', text: wep(`${goodWepSpec}  ipNATs:\n  - internalIP: 10.65.0.2\n    externalIP: 172.16.0.1`), field: 'spec.ipNATs[0].internalIP', value: '10.65.0.2' },
  { name: 'profile reference with a quote', text: wep(`${goodWepSpec}  profiles: ["a'b"]`), field: 'spec.profiles[0]', value: "a'b" },
  { name: 'endpoint without a node', text: wep(goodWepSpec, '  name: eth0\n  orchestrator: k8s\n  workload: w1'), field: 'metadata.node', value: undefined },
  { name: 'node name with a slash', text: wep(goodWepSpec, '  name: eth0\n  node: a/b\n  orchestrator: k8s\n  workload: w1'), field: 'metadata.node', value: 'a/b' },
  {
    name: 'host endpoint with neither interface nor addresses',
    text: 'apiVersion: v1\nkind: hostEndpoint\nmetadata:\n  name: h\n  node: n\nspec:\n  profiles: [a]\n',
    field: 'spec.interfaceName',
    value: undefined,
  },
  {
    name: 'host endpoint with a bad expected IP',
    text: 'apiVersion: v1\nkind: hostEndpoint\nmetadata:\n  name: h\n  node: n\nspec:\n  expectedIPs: [1.2.3]\n',
    field: 'spec.expectedIPs[0]',
    value: '1.2.3',
  },
];

t.ok(cases.length >= 30, `${cases.length} malformed inputs`);

for (const c of cases) {
  t.test(c.name, async (t) => {
    let caught: unknown;
    try {
      parseResources(c.text);
    } catch (e) {
      caught = e;
    }
    t.type(caught, ValidationError, 'rejected with a ValidationError');
    if (!(caught instanceof ValidationError)) return;
    t.equal(caught.field, c.field, 'names the field');
    t.same(caught.value, c.value, 'carries the value');
    if (c.field !== '') t.ok(caught.message.includes(c.field), `message names the field: ${caught.message}`);
    if (c.value !== undefined) t.ok(caught.message.includes(showValue(c.value)), 'message shows the value');
    t.notMatch(caught.message, /[\n\r]/, 'message is one line');
  });
}

t.test('a bad document among good ones rejects the whole input, naming where', async (t) => {
  const good = profile('  {}');
  const bad = profile('  {}', '  name: "x y"');
  t.throws(() => parseResources(`${good}\n---\n${bad}\n`), { name: 'ValidationError', where: 'Profile(name="x y")' });
  t.throws(() => parseResources(`- ${['apiVersion: v1', 'kind: nope'].join('\n  ')}\n`), {
    name: 'ValidationError',
    field: 'kind',
    where: 'item 1 of the input',
  });
});

t.test('text that is not YAML', async (t) => {
  for (const text of ['apiVersion: v1\nkind: [profile\n', 'a: b: c\n', '{"apiVersion": "v1",', '\tkind: profile\n  - x']) {
    t.throws(() => parseResources(text), InputSyntaxError, JSON.stringify(text));
  }
  t.throws(() => parseResources('apiVersion: v1\nkind: [profile\n'), { message: /not valid YAML or JSON: .*\(line \d+, column \d+\)/ });
  t.throws(() => parseResources(''), { name: 'InputSyntaxError', message: 'no resources specified in the input' });
  t.throws(() => parseResources('# only a comment\n---\n'), InputSyntaxError);
});

t.test('resolveKind aliases and unknown kinds', async (t) => {
  const table: [string, string][] = [
    ['profile', 'profile'], ['profiles', 'profile'], ['pro', 'profile'], ['pros', 'profile'], ['Profile', 'profile'],
    ['policy', 'policy'], ['policies', 'policy'], ['pol', 'policy'], ['POLS', 'policy'],
    ['workloadEndpoint', 'workloadEndpoint'], ['workloadendpoint', 'workloadEndpoint'], ['wep', 'workloadEndpoint'],
    ['weps', 'workloadEndpoint'], ['hostEndpoint', 'hostEndpoint'], ['hostendpoint', 'hostEndpoint'],
    ['hep', 'hostEndpoint'], ['heps', 'hostEndpoint'],
  ];
  for (const [alias, kind] of table) t.equal(resolveKind(alias), kind, alias);
  t.throws(() => resolveKind('bgppeer'), new UnknownKindError('bgppeer'));
  t.throws(() => resolveKind('bgppeer'), { message: "resource type 'bgppeer' is not supported" });
  t.throws(() => resolveKind('a\nb'), { message: 'resource type "a\\nb" is not supported' });
});
