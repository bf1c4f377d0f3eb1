// Seed 004 on real packets, step by step: the namespace's default-deny,
// then access-nginx opens nginx within the namespace, then deny-egress blocks
// traffic leaving the namespace while allow-dns lets UDP 53 reach kube-dns.
// Resources are fixtures/seeds/004-*.yaml; the endpoints carry the seed's
// labels on the harness's interfaces and addresses.
import t from 'tap';
import { notRootReason } from '../helpers/netns.js';
import { checkMatrix } from '../helpers/probe.js';
import { AgentHarness, fixtureResources } from './agent-harness.js';

const skip = notRootReason();
const NS = 'advanced-policy-demo';

t.test('seed 004: default-deny, access-nginx, deny-egress, allow-dns', { skip }, async (t) => {
  const h = await AgentHarness.create(t, [
    { name: 'nginx', ip: '198.18.4.65' },
    { name: 'access', ip: '198.18.4.70' },
    { name: 'dns', ip: '198.18.4.66' },
    { name: 'other', ip: '198.18.4.80' },
  ], 'k8s-node-01');
  const k8s = await fixtureResources('seeds/004-k8s.yaml');
  const named = (name: string) => {
    const r = k8s.find((x) => x.metadata.name === name);
    if (!r) throw new Error(`fixtures/seeds/004-k8s.yaml has no ${name}`);
    return r;
  };
  const pod = (name: string, ns: string, labels: Record<string, string>) =>
    h.endpoint(name, { orchestrator: 'k8s', workload: `${ns}.${name}-701339712-x1uqe`, profiles: [`k8s_ns.${ns}`], labels: { 'calico/k8s_ns': ns, ...labels } });

  await h.apply([
    ...k8s.filter((r) => r.kind === 'profile'),
    named(`${NS}.default-deny`),
    pod('nginx', NS, { run: 'nginx', 'pod-template-hash': '701339712' }),
    pod('access', NS, { run: 'access' }),
    pod('dns', 'kube-system', { 'k8s-app': 'kube-dns' }),
    pod('other', 'default', { run: 'other' }),
  ]);
  await h.applyOnce();
  t.equal(await checkMatrix(h.net, `
    access  nginx  tcp:80  deny    # default-deny isolates the namespace
    other   nginx  tcp:80  deny
    nginx   access tcp:80  deny
    access  other  tcp:80  allow   # egress is still open
    access  dns    udp:53  allow
    other   dns    udp:53  allow
  `), '', 'default-deny');

  await h.apply([named(`${NS}.access-nginx`)]);
  await h.applyOnce();
  t.equal(await checkMatrix(h.net, `
    access  nginx  tcp:80  allow   # access-nginx: from within the namespace
    other   nginx  tcp:80  deny    # not from elsewhere
    nginx   access tcp:80  deny    # and only to nginx
    access  other  tcp:80  allow   # no egress policy yet
    access  other  icmp    allow
  `), '', 'access-nginx');

  await h.apply([
    ...(await fixtureResources('seeds/004-deny-egress.yaml')),
    ...(await fixtureResources('seeds/004-allow-dns.yaml')),
  ]);
  await h.applyOnce();
  t.equal(await checkMatrix(h.net, `
    access  nginx  tcp:80  allow   # traffic within the namespace still works
    access  other  tcp:80  deny    # deny-egress: nothing leaves the namespace
    access  other  icmp    deny
    nginx   other  tcp:80  deny
    access  dns    udp:53  allow   # allow-dns comes first (order 400)
    nginx   dns    udp:53  allow
    access  dns    tcp:53  deny
    access  dns    udp:54  deny
    other   dns    udp:53  allow   # other namespaces are unaffected
    other   nginx  tcp:80  deny
  `), '', 'deny-egress and allow-dns');
  t.equal((await h.diff()).code, 0, 'in sync after the run');
});
