// Every seed document copied into fixtures/seeds parses, validates, and
// survives storage unchanged.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { kvToResource, parseResources, resourceToKV, validateResource, type Resource } from '../../src/model/index.js';
import { fixturesDir } from '../helpers/paths.js';

const seedsDir = join(fixturesDir(), 'seeds');
const files = readdirSync(seedsDir).filter((f) => f.endsWith('.yaml')).sort();
const load = (name: string): Resource[] => parseResources(readFileSync(join(seedsDir, name), 'utf8'));

t.test('every seed fixture parses, validates and round-trips through storage', async (t) => {
  t.ok(files.length >= 7, 'the seed fixtures are there');
  for (const f of files) {
    const resources = load(f);
    t.ok(resources.length > 0, `${f}: ${resources.length} resource(s)`);
    for (const r of resources) {
      t.same(validateResource(r), r, `${f}: ${r.kind} ${r.metadata.name} is already in normal form`);
      t.strictSame(kvToResource(r.kind, resourceToKV(r)), r, `${f}: ${r.kind} ${r.metadata.name} round-trips`);
    }
  }
});

t.test('seed 002 profiles and policies read as written', async (t) => {
  const [database, frontend] = load('002-a-profiles.yaml');
  t.strictSame(database, {
    apiVersion: 'v1',
    kind: 'profile',
    metadata: { name: 'database', labels: { role: 'database' } },
    spec: {
      ingress: [
        { action: 'allow', protocol: 'tcp', source: { selector: "role == 'frontend'" }, destination: { ports: [3306] } },
        { action: 'allow', source: { selector: "role == 'database'" } },
      ],
      egress: [{ action: 'allow', destination: { selector: "role == 'database'" } }],
    },
  });
  t.equal(frontend?.metadata.name, 'frontend');
  t.strictSame(load('002-b-profiles.yaml').map((r) => [r.metadata.name, r.spec]), [['database', {}], ['frontend', {}]]);
  const policies = load('002-b-policies.yaml');
  t.strictSame(policies.map((p) => p.kind), ['policy', 'policy']);
  const db = policies[0];
  t.equal(db?.kind === 'policy' && db.spec.order, 0, 'order 0 is kept (it is not "absent")');
  t.equal(db?.kind === 'policy' && db.spec.selector, "role == 'database'");
});

t.test('seed 004 documents', async (t) => {
  const [dns] = load('004-allow-dns.yaml');
  t.strictSame(dns, {
    apiVersion: 'v1',
    kind: 'policy',
    metadata: { name: 'advanced-policy-demo.allow-dns' },
    spec: {
      order: 400,
      selector: "calico/k8s_ns == 'advanced-policy-demo'",
      egress: [{
        action: 'allow',
        protocol: 'udp',
        destination: { selector: "calico/k8s_ns == 'kube-system' && k8s-app == 'kube-dns'", ports: [53] },
      }],
    },
  });
  const [deny] = load('004-deny-egress.yaml');
  t.strictSame(deny?.spec, {
    order: 500,
    selector: "calico/k8s_ns == 'advanced-policy-demo'",
    egress: [{ action: 'deny', destination: { notSelector: "calico/k8s_ns == 'advanced-policy-demo'" } }],
  });

  const k8s = load('004-k8s.yaml');
  t.strictSame(
    k8s.filter((r) => r.kind === 'profile').map((r) => [r.metadata.name, r.kind === 'profile' && r.metadata.tags]),
    ['advanced-policy-demo', 'default', 'kube-public', 'kube-system'].map((ns) => [`k8s_ns.${ns}`, [`k8s_ns.${ns}`]]),
  );
  t.strictSame(
    k8s.filter((r) => r.kind === 'policy').map((r) => r.kind === 'policy' && [r.metadata.name, r.spec.order, r.spec.selector]),
    [
      ['advanced-policy-demo.default-deny', 1000, "calico/k8s_ns == 'advanced-policy-demo'"],
      ['advanced-policy-demo.access-nginx', 1000, "calico/k8s_ns == 'advanced-policy-demo' && run == 'nginx'"],
    ],
  );

  const weps = load('004-workloads.yaml');
  t.strictSame(weps.map((w) => w.kind === 'workloadEndpoint' && [w.metadata.node, w.metadata.workload, w.metadata.name]), [
    ['k8s-node-01', 'advanced-policy-demo.nginx-701339712-x1uqe', 'eth0'],
    ['k8s-node-02', 'advanced-policy-demo.nginx-701339712-xeeay', 'eth0'],
    ['k8s-node-01', 'kube-system.kube-dns-v19-mjd8x', 'eth0'],
  ]);
  t.strictSame(weps[0], {
    apiVersion: 'v1',
    kind: 'workloadEndpoint',
    metadata: {
      name: 'eth0',
      node: 'k8s-node-01',
      orchestrator: 'k8s',
      workload: 'advanced-policy-demo.nginx-701339712-x1uqe',
      labels: { 'calico/k8s_ns': 'advanced-policy-demo', 'pod-template-hash': '701339712', run: 'nginx' },
    },
    spec: {
      interfaceName: 'cali347609b8bd7',
      ipNetworks: ['192.168.44.65/32'],
      mac: '56:b5:54:be:b2:a2',
      profiles: ['k8s_ns.advanced-policy-demo'],
    },
  });
  for (const w of weps) {
    t.match(w.kind === 'workloadEndpoint' && w.spec.interfaceName, /^cali[0-9a-f]{11}$/);
  }
});

t.test('the x1uqe endpoint is stored under its Calico v1 key', async (t) => {
  const [x1uqe] = load('004-workloads.yaml');
  const kv = resourceToKV(x1uqe!);
  t.equal(kv.length, 1);
  t.equal(kv[0]?.key, '/calico/v1/host/k8s-node-01/workload/k8s/advanced-policy-demo.nginx-701339712-x1uqe/endpoint/eth0');
  t.strictSame(JSON.parse(kv[0]!.value), {
    state: 'active',
    name: 'cali347609b8bd7',
    mac: '56:b5:54:be:b2:a2',
    profile_ids: ['k8s_ns.advanced-policy-demo'],
    ipv4_nets: ['192.168.44.65/32'],
    ipv6_nets: [],
    labels: { 'calico/k8s_ns': 'advanced-policy-demo', 'pod-template-hash': '701339712', run: 'nginx' },
  });
});
