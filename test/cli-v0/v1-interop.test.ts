// The v0 commands and the v1 resources edit one stored profile: what v0
// writes, `calicoctl get profile X -o yaml` shows; what `calicoctl apply`
// writes, `rule show` and `tag show` show; and v0 edits keep the v1-only parts.
import yaml from 'js-yaml';
import t from 'tap';
import { parseRule } from '../../src/model/rule-grammar.js';
import type { Profile } from '../../src/model/types.js';
import { embeddedCalicoctl, type CliRunner } from '../helpers/cli.js';

async function getYaml(calicoctl: CliRunner, name: string): Promise<Profile> {
  const got = await calicoctl.run(['get', 'profile', name, '-o', 'yaml']);
  if (got.status !== 0) throw new Error(`get profile ${name} -o yaml failed: ${got.stdout}${got.stderr}`);
  const list = yaml.load(got.stdout) as Profile[];
  if (!Array.isArray(list) || list.length !== 1) throw new Error(`get profile ${name} -o yaml gave: ${got.stdout}`);
  return list[0]!;
}

const rule = (text: string) => parseRule(text.split(' '));

t.test('a profile edited with v0 commands shows the same rules through get -o yaml', async (t) => {
  const calicoctl = await embeddedCalicoctl(t);
  for (const line of [
    'profile add WEB',
    'profile WEB rule remove inbound --at=1',
    'profile WEB rule add inbound allow tcp to ports 80,443',
    'profile WEB rule add inbound allow icmp type 8',
    'profile WEB rule add inbound --at=1 deny tcp from cidr 10.0.0.0/8 to ports 22',
    'profile WEB rule add outbound deny udp to ports 1000-2000 tag DB cidr 10.1.0.0/16',
    'profile WEB tag add APP_7890',
  ]) {
    t.equal((await calicoctl.sh(line)).status, 0, line);
  }
  const profile = await getYaml(calicoctl, 'WEB');
  t.equal(profile.kind, 'profile');
  t.equal(profile.metadata.name, 'WEB');
  t.same(profile.metadata.tags, ['WEB', 'APP_7890'], 'tags, in the order they were added');
  t.same(profile.spec.ingress, [
    rule('deny tcp from cidr 10.0.0.0/8 to ports 22'),
    rule('allow tcp to ports 80,443'),
    rule('allow icmp type 8'),
  ]);
  t.same(profile.spec.egress, [rule('allow'), rule('deny udp to ports 1000:2000 tag DB cidr 10.1.0.0/16')]);
  t.same(profile.spec.ingress?.[0], {
    action: 'deny',
    protocol: 'tcp',
    source: { net: '10.0.0.0/8' },
    destination: { ports: [22] },
  }, 'inbound is ingress, from is source, cidr is net, to is destination');
});

const APPLIED = `- apiVersion: v1
  kind: profile
  metadata:
    name: database
    labels:
      role: database
    tags:
    - database
    - backup
  spec:
    ingress:
    - action: allow
      protocol: tcp
      source:
        tag: frontend
      destination:
        ports: [3306, "5000:5010"]
    - action: deny
      protocol: icmp
      icmp:
        type: 3
        code: 1
      source:
        net: 10.0.0.0/8
    - action: allow
      source:
        selector: role == 'database'
    egress:
    - action: allow
      destination:
        tag: database
        net: 10.1.0.0/16
`;

t.test('a profile applied as v1 YAML shows its rules and tags through the v0 commands', async (t) => {
  const calicoctl = await embeddedCalicoctl(t);
  const applied = await calicoctl.run(['apply', '-f', '-'], APPLIED);
  t.equal(applied.status, 0, `apply: ${applied.stdout}${applied.stderr}`);

  t.same(await calicoctl.sh('profile database rule show'), {
    status: 0,
    stdout: [
      'Inbound rules:',
      '   1 allow tcp from tag frontend to ports 3306,5000:5010',
      '   2 deny icmp type 3 code 1 from cidr 10.0.0.0/8',
      `   3 allow from selector "role == 'database'"`,
      'Outbound rules:',
      '   1 allow to tag database cidr 10.1.0.0/16',
      '',
    ].join('\n'),
    stderr: '',
  });
  t.same(await calicoctl.sh('profile database tag show'), { status: 0, stdout: '    database\n    backup\n', stderr: '' });

  // v0 edits change only what they are about: labels and the selector rule stay.
  t.equal((await calicoctl.sh('profile database rule add inbound deny')).status, 0);
  t.equal((await calicoctl.sh('profile database tag remove backup')).status, 0);
  const profile = await getYaml(calicoctl, 'database');
  t.same(profile.metadata.labels, { role: 'database' }, 'labels are kept');
  t.same(profile.metadata.tags, ['database']);
  t.equal(profile.spec.ingress?.length, 4);
  t.same(profile.spec.ingress?.[2], { action: 'allow', source: { selector: "role == 'database'" } }, 'the selector rule is kept');
  t.same(profile.spec.ingress?.[3], { action: 'deny' });

  // A v1-only rule can still be removed by position.
  t.equal((await calicoctl.sh('profile database rule remove inbound --at=3')).status, 0);
  t.equal((await getYaml(calicoctl, 'database')).spec.ingress?.length, 3);
});
