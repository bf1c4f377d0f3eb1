// Malformed input to create/apply/replace: each file is rejected whole with
// `Error processing input file: ...` naming the field and showing the value,
// exit status 1, and the store is exactly as it was (nothing of the file is
// written, not even its valid resources before the bad one).
import t, { type Test } from 'tap';
import { showValue } from '../../src/model/index.js';
import { embeddedCalicoctl, memoryCalicoctl, type CliRunner } from '../helpers/cli.js';

const profile = (spec: string, meta = '  name: p1'): string =>
  `apiVersion: v1\nkind: profile\nmetadata:\n${meta}\nspec:\n${spec}\n`;
const policy = (spec: string, meta = '  name: pol1'): string =>
  `apiVersion: v1\nkind: policy\nmetadata:\n${meta}\nspec:\n${spec}\n`;
const ingress = (rule: string): string => profile(`  ingress:\n  - action: allow\n${rule}`);
const wepMeta = '  name: eth0\n  node: node1\n  orchestrator: k8s\n  workload: w1';
const wep = (spec: string, meta = wepMeta): string =>
  `apiVersion: v1\nkind: workloadEndpoint\nmetadata:\n${meta}\nspec:\n${spec}\n`;
const goodWep = '  interfaceName: cali0123456789a\n  ipNetworks: [198.18.0.1/32]';
const good = (name: string): string => `- apiVersion: v1\n  kind: profile\n  metadata:\n    name: ${name}\n`;

interface Case {
  name: string;
  text: string;
  /** The field the message must name; undefined when the text is not YAML at all. */
  field?: string;
  /** The offending value, shown as the model shows values. */
  value?: unknown;
  /** Text the message must contain instead of (or besides) field and value. */
  says?: RegExp;
}

const cases: Case[] = [
  // names
  { name: 'name with a space', text: profile('  {}', '  name: bad name'), field: 'metadata.name', value: 'bad name' },
  { name: 'name too long', text: profile('  {}', `  name: ${'a'.repeat(129)}`), field: 'metadata.name', value: 'a'.repeat(129) },
  { name: 'name with a newline', text: profile('  {}', '  name: "a\\nb"'), field: 'metadata.name', value: 'a\nb' },
  { name: 'name that is a number', text: profile('  {}', '  name: 42'), field: 'metadata.name', value: 42 },
  { name: 'missing name', text: profile('  {}', '  labels: {a: b}'), field: 'metadata.name', says: /missing value/ },
  // labels and tags
  { name: 'label key with a space', text: profile('  {}', '  name: p1\n  labels:\n    "a b": c'), field: 'metadata.labels["a b"]', value: 'a b' },
  { name: 'label value with a quote', text: profile('  {}', '  name: p1\n  labels:\n    role: \'x"y\''), field: 'metadata.labels.role', value: 'x"y' },
  { name: 'tag with a space', text: profile('  {}', '  name: p1\n  tags: [ok, "not ok"]'), field: 'metadata.tags[1]', value: 'not ok' },
  // rules
  { name: 'unknown action', text: profile('  ingress:\n  - action: accept'), field: 'spec.ingress[0].action', value: 'accept' },
  { name: 'unknown protocol', text: ingress('    protocol: tcpx'), field: 'spec.ingress[0].protocol', value: 'tcpx' },
  { name: 'protocol number out of range', text: ingress('    protocol: 256'), field: 'spec.ingress[0].protocol', value: 256 },
  { name: 'port 0', text: ingress('    protocol: tcp\n    destination:\n      ports: [0]'), field: 'spec.ingress[0].destination.ports[0]', value: 0 },
  { name: 'port 65536', text: ingress('    protocol: udp\n    source:\n      ports: [65536]'), field: 'spec.ingress[0].source.ports[0]', value: 65536 },
  { name: 'reversed port range', text: ingress('    protocol: tcp\n    destination:\n      ports: ["100:50"]'), field: 'spec.ingress[0].destination.ports[0]', value: '100:50' },
  { name: 'port that is not a number', text: ingress('    protocol: tcp\n    destination:\n      ports: [http]'), field: 'spec.ingress[0].destination.ports[0]', value: 'http' },
  { name: 'ports without a protocol', text: ingress('    destination:\n      ports: [80]'), field: 'spec.ingress[0].destination.ports', says: /tcp or udp/ },
  { name: 'ports with protocol icmp', text: ingress('    protocol: icmp\n    destination:\n      notPorts: [80]'), field: 'spec.ingress[0].destination.notPorts', says: /tcp or udp/ },
  { name: 'ICMP code without a type', text: ingress('    protocol: icmp\n    icmp:\n      code: 0'), field: 'spec.ingress[0].icmp', says: /type/ },
  { name: 'ICMP type out of range', text: ingress('    protocol: icmp\n    icmp:\n      type: 256'), field: 'spec.ingress[0].icmp.type', value: 256 },
  { name: 'CIDR prefix too long', text: ingress('    source:\n      net: 10.0.0.0/33'), field: 'spec.ingress[0].source.net', value: '10.0.0.0/33' },
  { name: 'CIDR that is a word', text: ingress('    destination:\n      notNet: anywhere'), field: 'spec.ingress[0].destination.notNet', value: 'anywhere' },
  { name: 'bad entry in nets', text: ingress('    source:\n      nets: [10.0.0.0/8, 300.1.1.1/32]'), field: 'spec.ingress[0].source.nets[1]', value: '300.1.1.1/32' },
  { name: 'invalid rule selector', text: ingress('    source:\n      selector: "role =="'), field: 'spec.ingress[0].source.selector', value: 'role ==' },
  { name: 'invalid notSelector', text: ingress('    destination:\n      notSelector: "has(a"'), field: 'spec.ingress[0].destination.notSelector', value: 'has(a' },
  { name: 'tag with a space in a rule', text: ingress('    source:\n      tag: "a b"'), field: 'spec.ingress[0].source.tag', value: 'a b' },
  // policies
  { name: 'invalid policy selector', text: policy("  selector: \"a == 'b\""), field: 'spec.selector', value: "a == 'b" },
  { name: 'order that is not a number', text: policy('  order: first'), field: 'spec.order', value: 'first' },
  { name: 'unknown policy type', text: policy('  types: [sideways]'), field: 'spec.types[0]', value: 'sideways' },
  // unknown fields, versions and kinds
  { name: 'misspelt spec field', text: profile('  ingres:\n  - action: allow'), field: 'spec.ingres', says: /unknown field/ },
  { name: 'misspelt rule field', text: ingress('    sourc:\n      tag: a'), field: 'spec.ingress[0].sourc', says: /unknown field/ },
  { name: 'unknown top-level field', text: `${profile('  {}')}status: ok\n`, field: 'status', says: /unknown field/ },
  { name: 'wrong apiVersion', text: profile('  {}').replace('apiVersion: v1', 'apiVersion: v2'), field: 'apiVersion', value: 'v2' },
  { name: 'unknown kind', text: profile('  {}').replace('kind: profile', 'kind: networkPolicy'), field: 'kind', value: 'networkPolicy' },
  { name: 'missing kind', text: profile('  {}').replace('kind: profile\n', ''), field: 'kind', says: /missing value/ },
  // endpoints
  { name: 'interface name too long', text: wep('  interfaceName: cali0123456789abc'), field: 'spec.interfaceName', value: 'cali0123456789abc' },
  { name: 'endpoint network that is not a host', text: wep('  interfaceName: cali0\n  ipNetworks: [198.18.0.0/24]'), field: 'spec.ipNetworks[0]', value: '198.18.0.0/24' },
  { name: 'bad MAC', text: wep(`${goodWep}\n  mac: 56:b5:54:be:b2`), field: 'spec.mac', value: '56:b5:54:be:b2' },
  { name: 'endpoint without a node', text: wep(goodWep, '  name: eth0\n  orchestrator: k8s\n  workload: w1'), field: 'metadata.node', says: /missing value/ },
  // whole files
  { name: 'text that is not YAML', text: 'this: is: not: yaml\n', says: /not valid YAML or JSON/ },
  { name: 'JSON with a bad port', text: JSON.stringify({ apiVersion: 'v1', kind: 'profile', metadata: { name: 'j' }, spec: { egress: [{ action: 'allow', protocol: 'tcp', destination: { ports: [99999] } }] } }), field: 'spec.egress[0].destination.ports[0]', value: 99999 },
  { name: 'good resources before a bad one in a list', text: `${good('first')}${good('second')}${good('bad name')}`, field: 'metadata.name', value: 'bad name' },
  { name: 'bad item in a profileList', text: 'apiVersion: v1\nkind: profileList\nitems:\n- metadata:\n    name: ok\n- metadata:\n    name: "not ok"\n', field: 'metadata.name', value: 'not ok' },
  { name: 'bad second document', text: `${profile('  {}', '  name: doc1')}---\n${policy('  order: [1]')}`, field: 'spec.order', value: [1] },
];

/** The data every case starts from, so "unchanged" means more than "still empty". */
const EXISTING = `${good('existing')}- apiVersion: v1\n  kind: policy\n  metadata:\n    name: existing\n  spec:\n    order: 1\n    selector: all()\n`;

function checkMessage(t: Test, c: Case, stdout: string): void {
  t.match(stdout, /^Error processing input file: .+\n$/, 'one line, in calicoctl\'s words');
  if (c.field !== undefined) t.ok(stdout.includes(c.field), `names the field ${c.field}: ${stdout.trim()}`);
  if (c.value !== undefined) t.ok(stdout.includes(showValue(c.value)), `shows the value ${showValue(c.value)}`);
  if (c.says) t.match(stdout, c.says);
}

t.test(`${cases.length} malformed inputs on the memory store`, async (t) => {
  t.ok(cases.length >= 30);
  const calicoctl = memoryCalicoctl();
  t.equal((await calicoctl.run(['create', '-f', '-'], EXISTING)).status, 0);
  const before = calicoctl.kv.snapshot();
  for (const c of cases) {
    for (const verb of ['apply', 'create', 'replace'] as const) {
      const r = await calicoctl.run([verb, '-f', '-'], c.text);
      t.test(`${verb}: ${c.name}`, async (t) => {
        t.equal(r.status, 1, 'exit status 1');
        t.equal(r.stderr, '');
        checkMessage(t, c, r.stdout);
      });
    }
    t.same(calicoctl.kv.snapshot(), before, `store unchanged after: ${c.name}`);
  }
  t.equal(calicoctl.sessions.opened, 1, 'a rejected file never opens the datastore');
});

t.test('malformed inputs on the embedded store change nothing on disk', async (t) => {
  const calicoctl: CliRunner = await embeddedCalicoctl(t);
  t.equal((await calicoctl.run(['create', '-f', '-'], EXISTING)).status, 0);
  const listing = async (): Promise<string> =>
    (await calicoctl.run(['get', 'profile', '-o', 'yaml'])).stdout + (await calicoctl.run(['get', 'policy', '-o', 'yaml'])).stdout;
  const before = await listing();
  for (const c of cases.filter((x) => /list|document|JSON|not YAML|port 65536/.test(x.name))) {
    const r = await calicoctl.run(['apply', '-f', '-'], c.text);
    t.equal(r.status, 1, c.name);
    checkMessage(t, c, r.stdout);
  }
  t.equal(await listing(), before);
});
