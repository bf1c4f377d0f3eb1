// Seed 002 on real packets, with the agent as its own process in the host
// namespace: frontend -> database only on TCP 3306, database <-> database
// open, database -> frontend closed, and the database-backup overlap (an
// endpoint with both role=database and backup=true gets both policies).
// The same network then shows `tabby diff` before and after an apply, a
// second run that writes nothing, a hand-flushed chain found and repaired,
// and an emptied datastore removing everything while a foreign rule stays.
import t from 'tap';
import { notRootReason } from '../helpers/netns.js';
import { checkMatrix } from '../helpers/probe.js';
import { AgentHarness, chainsNamed, fixturePolicy, ipv4, toYaml, type Resource } from './agent-harness.js';

const skip = notRootReason();

const WORKLOADS = [
  { name: 'db1', ip: '198.18.2.30' },
  { name: 'db2', ip: '198.18.2.31' },
  { name: 'fe', ip: '198.18.2.40' },
  { name: 'bk', ip: '198.18.2.50' },
  { name: 'dbb', ip: '198.18.2.60' },
];

/** A database on another node: only an IP set member here. */
const REMOTE_DB: Resource = {
  apiVersion: 'v1',
  kind: 'workloadEndpoint',
  metadata: { name: 'eth0', node: 'host-02', orchestrator: 'docker', workload: 'db-remote' },
  spec: { interfaceName: 'cali4d6e7f8a9b0', ipNetworks: ['198.19.2.30/32'], mac: '02:00:c6:13:02:1e', profiles: ['database'] },
};

const MATRIX = `
  fe   db1  tcp:3306  allow   # frontend -> database on 3306
  fe   db1  tcp:80    deny    # ... and nothing else
  fe   db1  udp:3306  deny
  fe   db1  icmp      deny
  db1  db2  tcp:80    allow   # database <-> database open
  db2  db1  udp:53    allow
  db1  db2  icmp      allow
  db1  fe   tcp:80    deny    # database -> frontend closed
  db1  fe   tcp:3306  deny
  fe   dbb  tcp:3306  allow   # database-backup is a database ...
  dbb  db1  tcp:80    allow
  bk   dbb  tcp:80    allow   # ... and on the backup network
  dbb  bk   tcp:80    allow
  bk   db1  tcp:80    deny    # plain databases are not
  db1  bk   tcp:80    deny
  fe   bk   tcp:3306  deny
`;

t.test('seed 002 with database-backup, diff, idempotence, repair, removal', { skip }, async (t) => {
  const h = await AgentHarness.create(t, WORKLOADS);
  const policy = await fixturePolicy('seed-002-database-backup/input.yaml');
  const endpoints = [
    h.endpoint('db1', { profiles: ['database'] }),
    h.endpoint('db2', { profiles: ['database'] }),
    h.endpoint('fe', { profiles: ['frontend'] }),
    h.endpoint('bk', { profiles: ['backups'] }),
    h.endpoint('dbb', { profiles: ['database-backup'] }),
    REMOTE_DB,
  ];
  await h.apply([...policy, ...endpoints]);
  const db1 = h.net.workload('db1').iface;

  // An empty namespace: the whole ruleset is an addition.
  const before = await h.diff();
  t.equal(before.code, 1, 'diff exits 1 before the first apply');
  const removed = before.stdout.split('\n').filter((l) => l.startsWith('-') && !l.startsWith('--- '));
  t.same(removed, [], 'nothing to remove from an empty namespace');
  t.match(before.stdout, `+-A cali-FORWARD `, 'shows cali-FORWARD being added');
  t.match(before.stdout, `+:cali-tw-${db1} `, 'shows the endpoint chains being added');
  t.match(before.stdout, /\+create cali40s:\S+ hash:net family inet/, 'shows the IP sets being added');
  t.match(before.stdout, `+198.18.2.30/32 dev ${db1}`, 'shows the workload route being added');
  t.equal(await h.iptablesSave().then((s) => s.includes('cali-')), false, 'diff wrote nothing');

  const first = await h.applyOnce();
  t.ok(ipv4(first).changed, 'the first run writes');
  t.notOk(first.families.some((f) => f.ipVersion === 6), 'no IPv6 family without IPv6 endpoints');
  t.equal(await checkMatrix(h.net, MATRIX), '', 'traffic follows seed 002');
  const save = await h.iptablesSave();
  t.notMatch(save, 'cali4d6e7f8a9b0', 'the remote endpoint has no chains here');
  t.match(await h.host('ipset', ['save']), / 198\.19\.2\.30\b/, 'but is a member of the database IP set');

  const inSync = await h.diff();
  t.equal(inSync.code, 0, 'diff exits 0 after the apply');
  t.equal(inSync.stdout, '', 'and prints nothing');

  const again = ipv4(await h.applyOnce());
  t.equal(again.iptablesRestore, null, 'a second run writes nothing to iptables');
  t.equal(again.ipsetRestoreBefore, null, 'nor to ipset');
  t.equal(again.ipsetRestoreAfter, null);
  t.same(again.plumbingCommands, [], 'nor to routes and neighbours');

  // Drift: someone flushes an endpoint chain.
  await h.host('iptables', ['-F', `cali-tw-${db1}`]);
  const drift = await h.diff();
  t.equal(drift.code, 1, 'diff exits 1 after the flush');
  t.match(drift.stdout, `--- kernel/ipv4/filter/cali-tw-${db1}`, 'and names the flushed chain');
  t.match(drift.stdout, `\n+-A cali-tw-${db1} `, 'showing its rules as missing');
  t.equal(drift.stdout.split('\n').filter((l) => l.startsWith('--- ')).length, 1, 'and nothing else');
  const repair = ipv4(await h.applyOnce());
  t.same(chainsNamed(repair.iptablesRestore), [`cali-tw-${db1}`], 'the repair rewrites only the flushed chain');
  t.equal((await h.diff()).code, 0, 'in sync after the repair');
  t.equal(await checkMatrix(h.net, `
    fe   db1  tcp:3306  allow
    fe   db1  tcp:80    deny
    bk   db1  tcp:80    deny
    dbb  db1  tcp:80    allow
  `), '', 'traffic to the repaired endpoint follows policy again');

  // Everything goes from the datastore; a rule of another program stays.
  const foreign = ['-s', '198.19.255.1/32', '-j', 'ACCEPT'];
  await h.host('iptables', ['-A', 'FORWARD', ...foreign]);
  await h.ctl(['delete', '-f', '-'], toYaml([...policy, ...endpoints]));
  const gone = await h.once();
  t.equal(gone.run.code, 0, gone.run.stderr);
  t.match(gone.run.stdout, /datastore is empty/);
  const after = await h.iptablesSave();
  t.notMatch(after, 'cali', 'no cali-* chain or hook is left');
  t.match(after, `-A FORWARD ${foreign.join(' ')}`, 'the foreign FORWARD rule is untouched');
  t.same((await h.ipsetNames()).filter((n) => n.startsWith('cali')), [], 'no IP set is left');
  t.equal((await h.host('ip', ['-4', 'route', 'show', 'proto', '80'])).trim(), '', 'no workload route is left');
  t.equal((await h.host('ip', ['-4', 'neigh', 'show', 'nud', 'permanent', 'proto', '80'])).trim(), '', 'no neighbour entry is left');
  const empty = await h.diff();
  t.equal(empty.code, 0, 'diff of an empty datastore on a clean host: in sync');
  t.equal(empty.stdout, '');
});
