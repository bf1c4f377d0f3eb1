// Bad command lines and bad rule text: a usage error on stderr that names the
// offending word, exit status 1, and the store left exactly as it was.
import t from 'tap';
import { memoryCalicoctl } from '../helpers/cli.js';

/** [command line after `calicoctl`, the offending word the message must name, whether the usage is printed] */
const BAD: [string, string, boolean][] = [
  // rule text
  ['profile WEB rule add inbound allow tcp to port 80', "'port'", true],
  ['profile WEB rule add inbound allow tcp to ports 80,abc', "'80,abc'", false],
  ['profile WEB rule add inbound allow tcp to ports 70000', "'70000'", false],
  ['profile WEB rule add inbound allow tcp to ports 443:80', "'443:80'", false],
  ['profile WEB rule add inbound allow icmp to ports 80', "'ports'", true],
  ['profile WEB rule add inbound allow icmp code 1', "'code'", true],
  ['profile WEB rule add inbound allow icmp type 300', "'300'", false],
  ['profile WEB rule add inbound allow icmpv6 type 1 code -1', "'-1'", true],
  ['profile WEB rule add inbound allow from tag bad/tag', "'bad/tag'", false],
  ['profile WEB rule add inbound allow from cidr 10.0.0.0/40', "'10.0.0.0/40'", false],
  ['profile WEB rule add inbound allow from cidr 10.0.0.0/8 to cidr fd00::/8', "'fd00::/8'", false],
  ['profile WEB rule add inbound allow icmpv6 from cidr 10.0.0.0/8', "'10.0.0.0/8'", false],
  ['profile WEB rule add inbound allow to tag A from tag B', "'from'", true],
  ['profile WEB rule add inbound permit tcp', "'permit'", true],
  ['profile WEB rule add inbound allow tcp to ports', "'ports'", true],
  ['profile WEB rule add inbound', "'allow' or 'deny'", true],
  ['profile WEB rule add inbound allow tcp extra words', "'extra'", true],
  ['profile WEB rule remove inbound allow tcp to port 80', "'port'", true],
  ['profile WEB rule remove inbound deny from cidr nonsense', "'nonsense'", false],
  // the rest of the command line
  ['profile WEB rule add sideways allow', "'sideways'", true],
  ['profile WEB rule add', 'inbound or outbound', true],
  ['profile WEB rule add inbound --at=two allow', "'two'", false],
  ['profile WEB rule add inbound --at=1.5 allow', "'1.5'", false],
  ['profile WEB rule remove inbound', '--at=<POSITION>', true],
  ['profile WEB rule remove inbound --at=1 allow', "'allow'", true],
  ['profile WEB rule remove inbound --at=x', "'x'", false],
  ['profile WEB rule frobnicate', "'frobnicate'", true],
  ['profile WEB rule', "'rule' needs one of", true],
  ['profile WEB rule show extra', "'extra'", true],
  ['profile WEB rule show --detailed', '--detailed', true],
  ['profile WEB rule add inbound --bogus allow', "'--bogus'", true],
  ['profile WEB tag add', 'needs a tag name', true],
  ['profile WEB tag add bad/tag', "'bad/tag'", false],
  ['profile WEB tag remove a b', "'b'", true],
  ['profile WEB tag rename X', "'rename'", true],
  ['profile WEB tag show --at=1', '--at', true],
  ['profile bad/name rule show', "'bad/name'", false],
  ['profile WEB frobnicate', "'frobnicate'", true],
  ['profile frobnicate', "'frobnicate'", true],
  ['profile', 'a profile command is needed', true],
  ['profile add', 'needs a profile name', true],
  ['profile add bad!name', "'bad!name'", false],
  ['profile add X Y', "'Y'", true],
  ['profile remove WEB --detailed', '--detailed', true],
  ['profile show --no-check', '--no-check', true],
  ['profile show everything', "'everything'", true],
];

t.test('each bad command line is a usage error that names the word and changes nothing', async (t) => {
  const calicoctl = memoryCalicoctl();
  t.equal((await calicoctl.sh('profile add WEB')).status, 0);
  t.equal((await calicoctl.sh('profile WEB rule add inbound allow tcp to ports 80,443')).status, 0);
  const revision = calicoctl.kv.revision;
  const before = calicoctl.kv.snapshot();

  for (const [line, word, usage] of BAD) {
    const result = await calicoctl.sh(line);
    t.equal(result.status, 1, `${line}: exit status 1`);
    t.equal(result.stdout, '', `${line}: nothing on stdout`);
    const firstLine = result.stderr.split('\n')[0]!;
    t.ok(firstLine.includes(word), `${line}: "${firstLine}" names ${word}`);
    t.equal(result.stderr.includes('\nUsage:\n  calicoctl profile show [--detailed]\n'), usage, `${line}: usage ${usage ? '' : 'not '}printed`);
  }
  t.equal(calicoctl.kv.revision, revision, 'nothing was written');
  t.same(calicoctl.kv.snapshot(), before, 'the store is unchanged');
});

t.test('bad rules JSON on standard input: an error naming the field, nothing changes', async (t) => {
  const calicoctl = memoryCalicoctl();
  t.equal((await calicoctl.sh('profile add WEB')).status, 0);
  const revision = calicoctl.kv.revision;
  const before = calicoctl.kv.snapshot();
  const cases: [string, RegExp][] = [
    ['', /not valid JSON/],
    ['{"inbound_rules": [', /not valid JSON/],
    ['[]', /inbound_rules/],
    ['{"inbound_rules": [{"action": "allow", "dst_ports": [80]}], "outbound_rules": []}', /dst_ports/],
    ['{"inbound_rules": [{"action": "allow", "protocol": "tcp", "dst_ports": [0]}], "outbound_rules": []}', /inbound_rules\[0\]\.dst_ports\[0\]/],
    ['{"inbound_rules": [{"action": "maybe"}], "outbound_rules": []}', /inbound_rules\[0\]\.action/],
    ['{"inbound_rules": [], "outbound_rules": [{"src_tag": "a b"}]}', /outbound_rules\[0\]\.src_tag/],
    ['{"inbound_rules": [], "outbound_rules": [], "colour": "blue"}', /colour/],
    ['{"inbound_rules": [{"action": "allow", "icmp_code": 1, "protocol": "icmp"}], "outbound_rules": []}', /icmp_code/],
  ];
  for (const [stdin, message] of cases) {
    const result = await calicoctl.sh('profile WEB rule update', stdin);
    t.equal(result.status, 1, `${JSON.stringify(stdin)}: exit status 1`);
    t.match(result.stderr, message, `${JSON.stringify(stdin)}: ${result.stderr.trim()}`);
    t.equal(result.stdout, '');
  }
  const mismatch = await calicoctl.sh('profile WEB rule update', '{"id": "APP", "inbound_rules": [], "outbound_rules": []}');
  t.same(mismatch, { status: 1, stdout: '', stderr: `Rules JSON "id"=APP doesn't match profile name WEB.\n` });
  t.equal(calicoctl.kv.revision, revision, 'nothing was written');
  t.same(calicoctl.kv.snapshot(), before, 'the store is unchanged');
});
