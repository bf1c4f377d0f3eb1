// Seed 000 on real packets, the profiles made with the seed's own v0
// commands: WEB accepts TCP 80 and 443 and ping only; APP accepts 7890 from
// WEB once WEB carries the tag APP_7890 (and that tag changes only an IP set).
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import t from 'tap';
import { notRootReason } from '../helpers/netns.js';
import { fixturesDir } from '../helpers/paths.js';
import { checkMatrix } from '../helpers/probe.js';
import { AgentHarness, chainsNamed, ipv4 } from './agent-harness.js';

const skip = notRootReason();

t.test('seed 000: WEB and APP profiles', { skip }, async (t) => {
  const h = await AgentHarness.create(t, [
    { name: 'web1', ip: '198.18.0.2' },
    { name: 'web2', ip: '198.18.0.3' },
    { name: 'app', ip: '198.18.0.4' },
  ]);
  const ctl = (line: string, stdin?: string): Promise<string> => h.ctl(line.split(' '), stdin);
  await ctl('profile add WEB');
  await ctl('profile WEB rule remove inbound --at=1');
  await ctl('profile WEB rule add inbound allow tcp to ports 80,443');
  await ctl('profile WEB rule add inbound allow icmp type 8');
  await ctl('profile add APP');
  await ctl('profile APP rule update', await readFile(join(fixturesDir(), 'transcripts', 'APP-rules.json'), 'utf8'));
  await h.apply([
    h.endpoint('web1', { profiles: ['WEB'] }),
    h.endpoint('web2', { profiles: ['WEB'] }),
    h.endpoint('app', { profiles: ['APP'] }),
  ]);

  await h.applyOnce();
  t.equal(await checkMatrix(h.net, `
    app   web1  tcp:80    allow
    app   web1  tcp:443   allow
    app   web1  icmp      allow
    web2  web1  tcp:80    allow   # the default "allow from tag WEB" is gone, but 80 is open to all
    app   web1  tcp:22    deny
    app   web1  udp:80    deny
    web2  web1  tcp:8080  deny
    web1  app   icmp      allow
    web1  app   tcp:7890  deny    # WEB does not carry APP_7890 yet
    web1  app   tcp:80    deny
  `), '', 'WEB accepts 80, 443 and ping only; APP is closed to WEB on 7890');

  await ctl('profile WEB tag add APP_7890');
  t.equal(await ctl('profile WEB tag show'), '    WEB\n    APP_7890\n', 'as the seed shows');
  const tagged = ipv4(await h.applyOnce());
  t.same(chainsNamed(tagged.iptablesRestore), [], 'a tag changes no chain ...');
  t.match(tagged.ipsetRestoreBefore ?? '', /198\.18\.0\.2\b/, '... only IP set members');
  t.match(tagged.ipsetRestoreBefore ?? '', /198\.18\.0\.3\b/);
  t.equal(await checkMatrix(h.net, `
    web1  app   tcp:7890  allow
    web2  app   tcp:7890  allow
    web1  app   tcp:7891  deny
    web1  app   tcp:80    deny
    app   web1  tcp:7890  deny
    app   web1  tcp:443   allow
  `), '', 'APP accepts 7890 from WEB once WEB carries APP_7890');
});
