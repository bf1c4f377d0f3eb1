// Seed 003 on real packets: a profile per Docker network made as the seed
// makes them (`profile add`, then "allow tcp from tag applications to ports
// 3306" on databases): applications reach databases on 3306 only.
import t from 'tap';
import { notRootReason } from '../helpers/netns.js';
import { checkMatrix } from '../helpers/probe.js';
import { AgentHarness } from './agent-harness.js';

const skip = notRootReason();

t.test('seed 003: applications to databases on 3306', { skip }, async (t) => {
  const h = await AgentHarness.create(t, [
    { name: 'mysql1', ip: '198.18.3.10' },
    { name: 'mysql2', ip: '198.18.3.11' },
    { name: 'app1', ip: '198.18.3.20' },
    { name: 'app2', ip: '198.18.3.21' },
  ]);
  const ctl = (line: string): Promise<string> => h.ctl(line.split(' '));
  await ctl('profile add databases');
  await ctl('profile add applications');
  await ctl('profile databases rule add inbound allow tcp from tag applications to ports 3306');
  await h.apply([
    h.endpoint('mysql1', { profiles: ['databases'] }),
    h.endpoint('mysql2', { profiles: ['databases'] }),
    h.endpoint('app1', { profiles: ['applications'] }),
    h.endpoint('app2', { profiles: ['applications'] }),
  ]);

  const dry = await h.tabby(['agent', '--once', '--dry-run', '--node', h.node]);
  t.equal(dry.code, 0, dry.stderr);
  t.match(dry.stdout, /^# IPv4: iptables-restore --noflush\n\*filter\n/m, '--dry-run prints the restore input ...');
  t.match(dry.stdout, /^# IPv4: ipset restore \(before iptables\)\ncreate cali40s:/m, '... and the ipset input');
  t.notMatch(await h.iptablesSave(), 'cali', '... and writes nothing');
  t.same(await h.ipsetNames(), []);

  await h.applyOnce();
  t.equal(await checkMatrix(h.net, `
    app1    mysql1  tcp:3306  allow   # applications -> databases on 3306
    app2    mysql2  tcp:3306  allow
    app1    mysql1  tcp:80    deny    # ... and nothing else
    app1    mysql1  udp:3306  deny
    app1    mysql1  icmp      deny
    mysql1  mysql2  tcp:80    allow   # within a network: the default tag rule
    app1    app2    tcp:80    allow
    mysql1  app1    tcp:80    deny    # databases cannot reach applications
    mysql1  app1    tcp:3306  deny
  `), '', 'traffic follows seed 003');
  t.equal((await h.diff()).code, 0, 'in sync after the run');
});
