// The v0 profile commands one by one: what each prints, its exit status and
// what it leaves in the store (an in-memory KV behind the real resource store;
// the transcripts run the same commands on the embedded store).
import t from 'tap';
import { memoryCalicoctl } from '../helpers/cli.js';

const ok = (stdout = '') => ({ status: 0, stdout, stderr: '' });
const failed = (stdout: string) => ({ status: 1, stdout, stderr: '' });
const listing = (inbound: string[], outbound: string[]): string =>
  ['Inbound rules:', ...inbound.map((r, i) => ` ${String(i + 1).padStart(3)} ${r}`), 'Outbound rules:', ...outbound.map((r, i) => ` ${String(i + 1).padStart(3)} ${r}`), ''].join('\n');

t.test('profile add: default tag and rules; adding again says it exists', async (t) => {
  const c = memoryCalicoctl();
  t.same(await c.sh('profile add WEB'), ok('Created profile WEB\n'));
  t.same(await c.sh('profile add WEB'), ok('Profile WEB already exists.\n'));
  t.same(await c.sh('profile WEB rule show'), ok(listing(['allow from tag WEB'], ['allow'])));
  t.same(await c.sh('profile WEB tag show'), ok('    WEB\n'));
});

t.test('a missing profile: "Profile X not found." and exit status 1, for every command', async (t) => {
  const c = memoryCalicoctl();
  for (const line of [
    'profile NOPE rule show',
    'profile NOPE rule json',
    'profile NOPE rule update',
    'profile NOPE rule add inbound allow',
    'profile NOPE rule remove outbound --at=1',
    'profile NOPE rule remove outbound deny',
    'profile NOPE tag show',
    'profile NOPE tag add T',
    'profile NOPE tag remove T',
    'profile remove NOPE',
    'profile remove NOPE --no-check',
  ]) {
    t.same(await c.sh(line, '{"inbound_rules": [], "outbound_rules": []}'), failed('Profile NOPE not found.\n'), line);
  }
  t.same(await c.sh('profile show'), ok('+------+\n| Name |\n+------+\n+------+\n'), 'nothing was created');
  t.equal(c.kv.revision, 0, 'nothing was written');
  t.equal(c.sessions.closed, c.sessions.opened, 'every command closed the store it opened');
});

t.test('rule add: appends, --at inserts at a 1-based position, duplicates are skipped', async (t) => {
  const c = memoryCalicoctl();
  await c.sh('profile add P');
  t.same(await c.sh('profile P rule add inbound allow tcp to ports 80'), ok());
  t.same(await c.sh('profile P rule add inbound --at=1 deny udp'), ok());
  t.same(await c.sh('profile P rule add inbound --at 3 allow icmp type 8'), ok(), '--at N also works');
  t.same(await c.sh('profile P rule add inbound --at=5 deny'), ok(), 'at the end + 1');
  t.same(await c.sh('profile P rule add outbound deny --at=1 tcp'), ok(), 'options may stand anywhere, as docopt allowed');
  t.same(
    await c.sh('profile P rule show'),
    ok(listing(['deny udp', 'allow from tag P', 'allow icmp type 8', 'allow tcp to ports 80', 'deny'], ['deny tcp', 'allow'])),
  );
  t.same(await c.sh('profile P rule add inbound allow tcp to ports 80'), ok('Rule already present, skipping.\n'));
  t.same(await c.sh('profile P rule add inbound --at=1 allow tcp to ports 80:80'), ok('Rule already present, skipping.\n'), 'the same rule written another way');
  t.same(await c.sh('profile P rule add inbound --at=7 deny icmp'), failed('Position 7 is out-of-range.\n'));
  t.same(await c.sh('profile P rule add inbound --at=0 deny icmp'), failed('Position 0 is out-of-range.\n'));
  t.same(await c.sh('profile P rule add inbound --at=-1 deny icmp'), failed('Position -1 is out-of-range.\n'));
  t.equal((await c.sh('profile P rule show')).stdout.split('\n').length, 10, 'nothing was added by the failed adds');
});

t.test('rule remove: by position, or by the matching rule', async (t) => {
  const c = memoryCalicoctl();
  await c.sh('profile add P');
  await c.sh('profile P rule add inbound allow tcp from tag A to ports 22');
  await c.sh('profile P rule add inbound deny icmp type 3 code 1');
  t.same(await c.sh('profile P rule remove inbound allow tcp from tag A to ports 23'), failed('Rule not found.\n'));
  t.same(await c.sh('profile P rule remove inbound allow tcp to ports 22'), failed('Rule not found.\n'), 'a rule with fewer matches is another rule');
  t.same(await c.sh('profile P rule remove outbound allow tcp from tag A to ports 22'), failed('Rule not found.\n'), 'the other direction');
  t.same(await c.sh('profile P rule remove inbound allow tcp from tag A to ports 22'), ok());
  t.same(await c.sh('profile P rule show'), ok(listing(['allow from tag P', 'deny icmp type 3 code 1'], ['allow'])));
  t.same(await c.sh('profile P rule remove inbound --at=3'), failed('Rule position out-of-range.\n'));
  t.same(await c.sh('profile P rule remove inbound --at=0'), failed('Rule position out-of-range.\n'));
  t.same(await c.sh('profile P rule remove inbound --at=2'), ok());
  t.same(await c.sh('profile P rule remove outbound allow'), ok());
  t.same(await c.sh('profile P rule show'), ok(listing(['allow from tag P'], [])));
});

t.test('rule update replaces both lists; id is optional', async (t) => {
  const c = memoryCalicoctl();
  await c.sh('profile add APP');
  const json = '{"inbound_rules": [{"action": "deny", "protocol": "udp", "!dst_ports": [53], "src_selector": "has(a)"}], "outbound_rules": []}';
  t.same(await c.sh('profile APP rule update', json), ok('Successfully updated rules on profile APP\n'));
  t.same(await c.sh('profile APP rule show'), ok(listing(['deny udp from selector "has(a)" to not ports 53'], [])));
  t.same(JSON.parse((await c.sh('profile APP rule json')).stdout), {
    id: 'APP',
    inbound_rules: [{ action: 'deny', protocol: 'udp', src_selector: 'has(a)', '!dst_ports': [53] }],
    outbound_rules: [],
  });
});

t.test('tags: add, remove and show in the order they were added', async (t) => {
  const c = memoryCalicoctl();
  await c.sh('profile add WEB');
  t.same(await c.sh('profile WEB tag add APP_7890'), ok('Tag APP_7890 added to profile WEB\n'));
  t.same(await c.sh('profile WEB tag add AAA'), ok('Tag AAA added to profile WEB\n'));
  t.same(await c.sh('profile WEB tag add APP_7890'), ok('Tag APP_7890 added to profile WEB\n'), 'adding a tag it has: no change');
  t.same(await c.sh('profile WEB tag show'), ok('    WEB\n    APP_7890\n    AAA\n'));
  t.same(await c.sh('profile WEB tag remove NOPE'), failed('Tag NOPE is not on profile WEB\n'));
  t.same(await c.sh('profile WEB tag remove WEB'), ok('Tag WEB removed from profile WEB\n'));
  t.same(await c.sh('profile WEB tag show'), ok('    APP_7890\n    AAA\n'));
  t.same(await c.sh('profile WEB tag remove APP_7890'), ok('Tag APP_7890 removed from profile WEB\n'));
  t.same(await c.sh('profile WEB tag remove AAA'), ok('Tag AAA removed from profile WEB\n'));
  t.same(await c.sh('profile WEB tag show'), ok(''));
});

const ENDPOINTS = `- apiVersion: v1
  kind: workloadEndpoint
  metadata:
    name: eth0
    node: host-01
    orchestrator: docker
    workload: web-1
  spec:
    interfaceName: cali0123456789a
    profiles: [WEB, SHARED]
- apiVersion: v1
  kind: workloadEndpoint
  metadata:
    name: eth0
    node: host-02
    orchestrator: k8s
    workload: ns.web-2
  spec:
    interfaceName: cali0123456789b
    profiles: [WEB]
- apiVersion: v1
  kind: hostEndpoint
  metadata:
    name: eth1
    node: host-03
  spec:
    interfaceName: eth1
    profiles: [SHARED]
`;

t.test('profile show and remove: the endpoints using a profile', async (t) => {
  const c = memoryCalicoctl();
  for (const name of ['WEB', 'SHARED', 'IDLE']) await c.sh(`profile add ${name}`);
  t.equal((await c.run(['apply', '-f', '-'], ENDPOINTS)).status, 0);

  t.same(await c.sh('profile show'), ok('+--------+\n|  Name  |\n+--------+\n|  IDLE  |\n| SHARED |\n|  WEB   |\n+--------+\n'));
  const rule = '+--------+---------+-----------------+-------------+-------------+--------+';
  t.same(
    await c.sh('profile show --detailed'),
    ok(
      [
        rule,
        '|  Name  |   Host  | Orchestrator ID | Workload ID | Endpoint ID | State  |',
        rule,
        '|  IDLE  |   None  |       None      |     None    |     None    |  None  |',
        '| SHARED | host-01 |      docker     |    web-1    |     eth0    | active |',
        '| SHARED | host-03 |       None      |     None    |     eth1    | active |',
        '|  WEB   | host-01 |      docker     |    web-1    |     eth0    | active |',
        '|  WEB   | host-02 |       k8s       |   ns.web-2  |     eth0    | active |',
        rule,
        '',
      ].join('\n'),
    ),
  );

  const inUse = "Cannot remove profile - profile in use by endpoint(s).\nUse the '--no-check' flag to remove the profile anyway.\n";
  t.same(await c.sh('profile remove WEB'), failed(inUse));
  t.same(await c.sh('profile remove SHARED'), failed(inUse), 'a host endpoint counts too');
  t.same(await c.sh('profile remove IDLE'), ok('Deleted profile IDLE\n'));
  t.same(await c.sh('profile remove WEB --no-check'), ok('Deleted profile WEB\n'));
  t.same(await c.sh('profile --no-check remove SHARED'), ok('Deleted profile SHARED\n'));
  t.same(await c.sh('profile show'), ok('+------+\n| Name |\n+------+\n+------+\n'));
  t.same(await c.sh('profile WEB rule show'), failed('Profile WEB not found.\n'));
});

t.test('--help prints the usage', async (t) => {
  const c = memoryCalicoctl();
  const help = await c.sh('profile --help');
  t.equal(help.status, 0);
  t.match(help.stdout, /^Usage:\n {2}calicoctl profile show \[--detailed\]\n/);
  t.match(help.stdout, /calicoctl profile <PROFILE> rule add \(inbound\|outbound\) \[--at=<POSITION>\]/);
  t.same(await c.sh('profile WEB rule add -h'), help, '-h anywhere');
});
