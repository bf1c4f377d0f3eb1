// The input shapes calicoctl v1 accepts: JSON, one YAML resource, a YAML list,
// multi-document YAML and <kind>List documents.
import t from 'tap';
import { parseResources } from '../../src/model/index.js';

const profileYaml = (name: string): string => `apiVersion: v1\nkind: profile\nmetadata:\n  name: ${name}\n`;
const names = (text: string): string[] => parseResources(text).map((r) => `${r.kind}:${r.metadata.name}`);

t.test('input shapes', async (t) => {
  t.strictSame(names(profileYaml('a')), ['profile:a'], 'one YAML resource');
  t.strictSame(names(`- ${profileYaml('a').trimEnd().split('\n').join('\n  ')}\n- ${profileYaml('b').trimEnd().split('\n').join('\n  ')}\n`),
    ['profile:a', 'profile:b'], 'a YAML list');
  t.strictSame(names(`---\n${profileYaml('a')}---\n${profileYaml('b')}---\n`), ['profile:a', 'profile:b'], 'multi-document YAML');
  t.strictSame(names('{"apiVersion": "v1", "kind": "policy", "metadata": {"name": "p"}, "spec": {"order": 5}}'), ['policy:p'], 'JSON');
  t.strictSame(names('[{"apiVersion":"v1","kind":"policy","metadata":{"name":"p"}},{"apiVersion":"v1","kind":"profile","metadata":{"name":"q"}}]'),
    ['policy:p', 'profile:q'], 'a JSON list');
  t.strictSame(names('apiVersion: v1\nkind: profileList\nmetadata: {}\nitems:\n- metadata: {name: a}\n- apiVersion: v1\n  kind: profile\n  metadata: {name: b}\n'),
    ['profile:a', 'profile:b'], 'a profileList, items with or without apiVersion and kind');
  t.strictSame(names('apiVersion: v1\nkind: workloadEndpointList\nitems:\n- metadata: {name: e, node: n, orchestrator: o, workload: w}\n  spec: {interfaceName: cali1}\n'),
    ['workloadEndpoint:e']);
  t.strictSame(names('apiVersion: v1\nkind: hostEndpointList\nitems:\n- metadata: {name: h, node: n}\n  spec: {interfaceName: eth0}\n'),
    ['hostEndpoint:h']);
  t.strictSame(names('apiVersion: v1\nkind: policyList\nitems: []\n---\n' + profileYaml('x')), ['profile:x'], 'an empty list is allowed');
});

t.test('null fields read as absent, as calicoctl reads them', async (t) => {
  const [p] = parseResources('apiVersion: v1\nkind: policy\nmetadata:\n  name: p\n  annotations:\nspec:\n  order:\n  selector:\n  ingress:\n');
  t.strictSame(p, { apiVersion: 'v1', kind: 'policy', metadata: { name: 'p' }, spec: {} });
});

t.test('numbers in YAML are not dates or sexagesimals', async (t) => {
  const [p] = parseResources('apiVersion: v1\nkind: policy\nmetadata: {name: p}\nspec:\n  ingress:\n  - action: allow\n    protocol: tcp\n    destination:\n      ports: [1:2, 22]\n');
  t.strictSame(p?.kind === 'policy' && p.spec.ingress?.[0]?.destination?.ports, ['1:2', 22]);
});
