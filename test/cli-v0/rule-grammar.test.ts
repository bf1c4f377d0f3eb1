// The v0 rule grammar on its own: words to Rule, Rule to text, and errors
// that name the offending word.
import t from 'tap';
import { formatRule, parseRule, RuleSyntaxError, sameRule } from '../../src/model/rule-grammar.js';
import type { Rule } from '../../src/model/types.js';
import { RULE_CASES } from './rule-table.js';

const words = (text: string): string[] => text.split(' ');

t.test('the table covers every branch of the grammar', async (t) => {
  t.ok(RULE_CASES.length >= 40, `${RULE_CASES.length} rules`);
  const all = RULE_CASES.map((c) => ` ${c.text} `).join('');
  for (const part of [' allow ', ' deny ', ' tcp ', ' udp ', ' icmp ', ' icmpv6 ', ' from ', ' to ', ' ports ', ' tag ', ' cidr ', ' type ', ' code ']) {
    t.ok(all.includes(part), `uses${part}`);
  }
});

t.test('each rule prints as written (or its canonical form) and parses back to itself', async (t) => {
  for (const c of RULE_CASES) {
    const rule = parseRule(words(c.text));
    const shown = formatRule(rule);
    t.equal(shown, c.shown ?? c.text, c.text);
    t.same(parseRule(words(shown)), rule, `${c.text}: parse(show(rule)) is the rule`);
  }
});

t.test('words map onto the shared Rule type', async (t) => {
  const cases: [string, Rule][] = [
    ['allow', { action: 'allow' }],
    ['allow from tag WEB', { action: 'allow', source: { tag: 'WEB' } }],
    [
      'allow tcp from tag applications to ports 3306',
      { action: 'allow', protocol: 'tcp', source: { tag: 'applications' }, destination: { ports: [3306] } },
    ],
    ['allow tcp to ports 80,443', { action: 'allow', protocol: 'tcp', destination: { ports: [80, 443] } }],
    ['allow icmp type 8', { action: 'allow', protocol: 'icmp', icmp: { type: 8 } }],
    ['deny icmpv6 type 1 code 3', { action: 'deny', protocol: 'icmpv6', icmp: { type: 1, code: 3 } }],
    [
      'deny udp from ports 1000-2000,53 cidr 10.1.2.3/8 to tag B cidr 10.0.0.1',
      {
        action: 'deny',
        protocol: 'udp',
        source: { ports: ['1000:2000', 53], net: '10.0.0.0/8' },
        destination: { tag: 'B', net: '10.0.0.1/32' },
      },
    ],
    // `from` with nothing after it matches anything, as docopt allowed it.
    ['allow tcp from to ports 22', { action: 'allow', protocol: 'tcp', destination: { ports: [22] } }],
  ];
  for (const [text, rule] of cases) t.same(parseRule(words(text)), rule, text);
});

t.test('what only v1 resources hold still prints, so rule show hides nothing', async (t) => {
  const rule: Rule = {
    action: 'pass',
    ipVersion: 4,
    protocol: 'tcp',
    notProtocol: 'udp',
    source: { selector: "role == 'db'", notTag: 'X', nets: ['10.0.0.0/8', '10.1.0.0/16'], notPorts: [22] },
    destination: { notNet: '10.2.0.0/16', notSelector: 'has(a)', notNets: ['10.3.0.0/16'] },
  };
  t.equal(
    formatRule(rule),
    'pass ipv4 tcp not udp from cidrs 10.0.0.0/8,10.1.0.0/16 selector "role == \'db\'" not ports 22 not tag X ' +
      'to not cidr 10.2.0.0/16 not cidrs 10.3.0.0/16 not selector "has(a)"',
  );
  t.equal(formatRule({ action: 'log', protocol: 58, notICMP: { type: 128 } }), 'log 58 not type 128');
});

t.test('sameRule ignores how unset fields are written', async (t) => {
  t.ok(sameRule({ action: 'allow', source: {} }, { action: 'allow' }));
  t.ok(sameRule({ action: 'allow', destination: { ports: [] } }, { action: 'allow' }));
  t.ok(sameRule({ action: 'allow', source: { tag: 'A', net: '10.0.0.0/8' } }, { source: { net: '10.0.0.0/8', tag: 'A' }, action: 'allow' }));
  t.notOk(sameRule({ action: 'allow' }, { action: 'deny' }));
  t.notOk(sameRule({ action: 'allow', destination: { ports: [80, 443] } }, { action: 'allow', destination: { ports: [443, 80] } }));
});

/** [rule text, offending word (undefined: the text ended too early), part of the message] */
const BAD: [string, string | undefined, string][] = [
  ['', undefined, "expected 'allow' or 'deny'"],
  ['permit tcp', 'permit', "unexpected 'permit'"],
  ['allow tcp to port 80', 'port', "unexpected 'port' after 'to'"],
  ['allow tcp to ports', 'ports', "'ports' needs a value"],
  ['allow tcp to ports 80,abc', '80,abc', "Invalid ports '80,abc'"],
  ['allow tcp to ports 0', '0', "Invalid port '0'"],
  ['allow tcp to ports 65536', '65536', "Invalid port '65536'"],
  ['allow tcp to ports 90:80', '90:80', "Invalid port range '90:80'"],
  ['allow tcp to ports 80,', '80,', "Invalid ports '80,'"],
  ['allow icmp to ports 80', 'ports', 'Ports need protocol tcp or udp, not icmp'],
  ['allow to ports 80', 'ports', 'Ports need protocol tcp or udp'],
  ['allow icmp code 3', 'code', 'An ICMP code needs a type before it'],
  ['allow icmp type 256', '256', "Invalid ICMP type '256'"],
  ['allow icmp type 8 code x', 'x', "Invalid ICMP code 'x'"],
  ['allow tcp type 8', 'type', 'need protocol icmp or icmpv6'],
  ['allow from tag a/b', 'a/b', "Invalid tag 'a/b'"],
  ['allow from tag', 'tag', "'tag' needs a value"],
  ['allow from cidr 10.0.0.0/33', '10.0.0.0/33', "Invalid CIDR '10.0.0.0/33'"],
  ['allow from cidr 10.0.0.256', '10.0.0.256', "Invalid CIDR '10.0.0.256'"],
  ['allow from cidr 010.0.0.1', '010.0.0.1', "Invalid CIDR '010.0.0.1'"],
  ['allow from cidr 10.0.0.0/8 to cidr fd00::/8', 'fd00::/8', 'different IP versions'],
  ['allow icmp from cidr fd00::/8', 'fd00::/8', 'is IPv6 but protocol icmp is IPv4'],
  ['allow icmpv6 to cidr 10.0.0.0/8', '10.0.0.0/8', 'is IPv4 but protocol icmpv6 is IPv6'],
  ['allow to tag A from tag B', 'from', "unexpected 'from' after 'A'"],
  ['allow from cidr 10.0.0.0/8 tag A', 'tag', 'the order is ports, tag, cidr'],
  ['allow from tag A from tag B', 'from', "unexpected 'from'"],
  ['allow tcp udp', 'udp', 'The protocol comes right after allow or deny'],
  ['allow tcp extra', 'extra', "unexpected 'extra' after 'tcp'"],
  ['allow tcp from tag A to ports 80 trailing', 'trailing', "unexpected 'trailing' after '80'"],
];

t.test('bad rule text is a RuleSyntaxError naming the offending word', async (t) => {
  for (const [text, word, message] of BAD) {
    const input = text === '' ? [] : words(text);
    t.throws(() => parseRule(input), RuleSyntaxError, text);
    try {
      parseRule(input);
    } catch (err) {
      const e = err as RuleSyntaxError;
      t.equal(e.word, word, `${text}: offending word`);
      t.match(e.message, message, `${text}: message`);
      if (word !== undefined) t.ok(e.message.includes(word), `${text}: the message names '${word}'`);
    }
  }
});

t.test('a word with odd characters is quoted safely in the message', async (t) => {
  t.throws(() => parseRule(['allow', 'tcp', "it's\n"]), { message: /unexpected "it's\\n" after 'tcp'/ });
});
