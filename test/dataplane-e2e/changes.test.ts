// A second `--once` after a policy and an endpoint's labels change: traffic
// follows, and the iptables-restore input names exactly the chains whose
// rules changed (the policy's inbound chain and the relabelled endpoint's two
// chains; its IP set memberships change through ipset). A third run writes nothing.
import t from 'tap';
import { endpointChainName, policyChainName } from '../../compiler/names.js';
import { notRootReason } from '../helpers/netns.js';
import { checkMatrix } from '../helpers/probe.js';
import { AgentHarness, chainsNamed, fixturePolicy, ipv4 } from './agent-harness.js';

const skip = notRootReason();

t.test('policy and label changes rewrite only the chains that changed', { skip }, async (t) => {
  const h = await AgentHarness.create(t, [
    { name: 'db1', ip: '198.18.5.30' },
    { name: 'db2', ip: '198.18.5.31' },
    { name: 'db3', ip: '198.18.5.32' },
    { name: 'fe', ip: '198.18.5.40' },
  ]);
  const policy = await fixturePolicy('seed-002-b-policies/input.yaml');
  await h.apply([
    ...policy,
    h.endpoint('db1', { profiles: ['database'] }),
    h.endpoint('db2', { profiles: ['database'] }),
    h.endpoint('db3', { profiles: ['database'] }),
    h.endpoint('fe', { profiles: ['frontend'] }),
  ]);
  await h.applyOnce();
  t.equal(await checkMatrix(h.net, `
    fe   db1  tcp:3306  allow
    fe   db1  tcp:80    deny
    db1  db3  tcp:80    allow
    db1  db3  tcp:5432  allow
    db1  db2  tcp:5432  allow
    db2  db1  tcp:3306  allow
    db2  fe   tcp:80    deny
  `), '', 'seed 002 b) before the change');

  // The database policy narrows database <-> database to TCP 5432 ...
  const database = policy.find((r) => r.kind === 'policy' && r.metadata.name === 'database')!;
  const spec = database.spec as { ingress: Record<string, unknown>[] };
  const changed = {
    ...database,
    spec: { ...spec, ingress: [spec.ingress[0], { ...spec.ingress[1], protocol: 'tcp', destination: { ports: [5432] } }] },
  };
  // ... and db2 is relabelled a frontend (its own label beats its profile's).
  await h.apply([changed, h.endpoint('db2', { profiles: ['database'], labels: { role: 'frontend' } })]);

  const second = ipv4(await h.applyOnce());
  const db2 = h.net.workload('db2').iface;
  t.same(chainsNamed(second.iptablesRestore), [
    endpointChainName(false, db2),
    policyChainName('inbound', 'database'),
    endpointChainName(true, db2),
  ].sort(), 'the restore input names only the changed chains');
  t.same(second.chainsTouched, chainsNamed(second.iptablesRestore), 'as the agent reports them');
  t.match(second.ipsetRestoreBefore ?? '', /^del \S+ 198\.18\.5\.31$/m, 'db2 leaves the database set ...');
  t.match(second.ipsetRestoreBefore ?? '', /^add \S+ 198\.18\.5\.31$/m, '... and joins the frontend set');
  t.equal(await checkMatrix(h.net, `
    fe   db1  tcp:3306  allow   # unchanged
    db1  db3  tcp:80    deny    # database <-> database only on 5432 now
    db1  db3  tcp:5432  allow
    db2  db1  tcp:3306  allow   # db2 is a frontend now
    db2  db1  tcp:5432  deny
    db1  db2  tcp:5432  deny    # and no database any more
    fe   db2  tcp:3306  deny
  `), '', 'traffic follows the change');

  const third = ipv4(await h.applyOnce());
  t.equal(third.iptablesRestore, null, 'an unchanged datastore writes nothing');
  t.equal(third.ipsetRestoreBefore, null);
  t.equal(third.ipsetRestoreAfter, null);
  const diff = await h.diff();
  t.equal(diff.code, 0, 'and diff agrees');
  t.equal(diff.stdout, '');
});
