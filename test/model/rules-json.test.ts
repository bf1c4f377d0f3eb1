// The v0 `rule json` / `rule update` JSON, and the single-field checks the
// v0 rule grammar and the compiler rely on (ports, CIDRs, MACs).
import t from 'tap';
import {
  canonicalCidr, canonicalIpAddress, canonicalMac, checkPort, InputSyntaxError, profileRulesFromJson, profileRulesToJson,
  ruleFromStorage, ruleToStorage, ValidationError, type Rule,
} from '../../src/model/index.js';

// Seed 000's APP-rules.json, verbatim.
const APP_RULES = `{
  "id": "APP",
  "inbound_rules": [
    {
      "action": "allow",
      "protocol": "tcp",
      "dst_ports": [7890],
      "src_tag": "APP_7890"
    },
    {
      "action": "allow",
      "protocol": "icmp",
      "icmp_type": 8
    }
  ],
  "outbound_rules": [
    {
      "action": "allow"
    }
  ]
}
`;

t.test('seed 000 APP-rules.json reads as v1 rules', async (t) => {
  t.strictSame(profileRulesFromJson(APP_RULES), {
    id: 'APP',
    inbound: [
      { action: 'allow', protocol: 'tcp', source: { tag: 'APP_7890' }, destination: { ports: [7890] } },
      { action: 'allow', protocol: 'icmp', icmp: { type: 8 } },
    ],
    outbound: [{ action: 'allow' }],
  });
  t.strictSame(profileRulesFromJson('{"inbound_rules": []}'), { inbound: [], outbound: [] }, 'id and lists optional');
});

t.test('rule json prints id, inbound_rules, outbound_rules with rule keys in Calico order', async (t) => {
  const parsed = profileRulesFromJson(APP_RULES);
  const text = profileRulesToJson({ id: 'APP', inbound: parsed.inbound, outbound: parsed.outbound });
  t.equal(text, [
    '{',
    '  "id": "APP",',
    '  "inbound_rules": [',
    '    {',
    '      "action": "allow",',
    '      "protocol": "tcp",',
    '      "src_tag": "APP_7890",',
    '      "dst_ports": [',
    '        7890',
    '      ]',
    '    },',
    '    {',
    '      "action": "allow",',
    '      "protocol": "icmp",',
    '      "icmp_type": 8',
    '    }',
    '  ],',
    '  "outbound_rules": [',
    '    {',
    '      "action": "allow"',
    '    }',
    '  ]',
    '}',
  ].join('\n'));
  t.strictSame(profileRulesFromJson(text), parsed, 'rule json then rule update changes nothing');
  t.equal(profileRulesToJson({ id: 'E', inbound: [], outbound: [] }), '{\n  "id": "E",\n  "inbound_rules": [],\n  "outbound_rules": []\n}');
});

t.test('every rule field survives the storage JSON', async (t) => {
  const rules: Rule[] = [
    { action: 'pass' },
    { action: 'log', ipVersion: 4, protocol: 17, notProtocol: 'tcp' },
    { action: 'deny', protocol: 'icmpv6', icmp: { type: 1, code: 4 }, notICMP: { type: 128 } },
    {
      action: 'allow',
      protocol: 'udp',
      source: { tag: 'a', net: '10.0.0.0/8', nets: ['10.1.0.0/16'], selector: 'has(x)', ports: [53, '1000:2000'],
        notTag: 'b', notNet: '10.2.0.0/16', notNets: ['10.3.0.0/16'], notSelector: 'y == "z"', notPorts: [1] },
      destination: { tag: 'c', net: '11.0.0.0/8', nets: ['11.1.0.0/16'], selector: 'all()', ports: [2],
        notTag: 'd', notNet: '11.2.0.0/16', notNets: ['11.3.0.0/16'], notSelector: '!has(q)', notPorts: ['3:4'] },
    },
  ];
  rules.forEach((r, i) => t.strictSame(ruleFromStorage(JSON.parse(JSON.stringify(ruleToStorage(r))), `r[${i}]`), r));
  t.equal(ruleToStorage({ action: 'pass' }).action, 'next-tier');
});

t.test('bad rule JSON', async (t) => {
  t.throws(() => profileRulesFromJson('{"inbound_rules": [}'), InputSyntaxError);
  t.throws(() => profileRulesFromJson('{"id": "APP", "inbound_rules": [{"action": "allow", "dst_ports": [7890]}]}'), {
    name: 'ValidationError', field: 'inbound_rules[0].dst_ports', message: /ports need protocol tcp or udp/,
  });
  t.throws(() => profileRulesFromJson('{"id": "A B"}'), { name: 'ValidationError', field: 'id', value: 'A B' });
  t.throws(() => profileRulesFromJson('{"inbound": []}'), { name: 'ValidationError', field: 'inbound', problem: 'unknown-field' });
  t.throws(() => profileRulesFromJson('{"inbound_rules": [{"action": "allow", "src_net": "10.0.0.0/8", "dst_net": "::/0"}]}'), {
    name: 'ValidationError', field: 'inbound_rules[0].dst_net',
  });
  t.throws(() => ruleFromStorage({ action: 'allow', icmp_type: 8 }, 'x'), { name: 'ValidationError', field: 'x.icmp_type', message: /need protocol icmp or icmpv6/ });
  t.throws(() => ruleFromStorage('allow', 'x'), ValidationError);
});

t.test('ports', async (t) => {
  t.equal(checkPort(80, 'p'), 80);
  t.equal(checkPort('80', 'p'), 80);
  t.equal(checkPort('80:80', 'p'), 80);
  t.equal(checkPort('1:65535', 'p'), '1:65535');
  for (const bad of [0, 65536, 1.5, -1, '', '80:', ':80', '0:10', '10:70000', ' 80', '80 ', '0x50', null, true, [80]]) {
    t.throws(() => checkPort(bad, 'p'), { name: 'ValidationError', field: 'p' }, JSON.stringify(bad));
  }
});

t.test('addresses', async (t) => {
  const cidrs: [string, string | undefined][] = [
    ['10.1.2.3/8', '10.0.0.0/8'],
    ['192.168.44.65/32', '192.168.44.65/32'],
    ['0.0.0.0/0', '0.0.0.0/0'],
    ['10.0.0.0/33', undefined],
    ['10.0.0.0', undefined],
    ['10.00.0.0/8', undefined],
    ['10.0.0/8', undefined],
    ['10.0.0.0/8 ', undefined],
    ['10.0.0.0/-1', undefined],
    ['FD00:0:0:0:0:0:0:1/64', 'fd00::/64'],
    ['2001:db8:0:0:1:0:0:1/128', '2001:db8::1:0:0:1/128'],
    ['2001:db8::/129', undefined],
    ['::/0', '::/0'],
    ['1:0:1:0:1:0:1:0/128', '1:0:1:0:1:0:1:0/128'],
    ['::ffff:1.2.3.4/128', '::ffff:102:304/128'],
    ['fe80::1%eth0/64', undefined],
    ['1::2::3/64', undefined],
    ['12345::/16', undefined],
  ];
  for (const [text, want] of cidrs) t.equal(canonicalCidr(text), want, text);
  t.equal(canonicalCidr('10.1.1.1', { allowBareAddress: true }), '10.1.1.1/32');
  t.equal(canonicalIpAddress('2001:DB8:0::0:1'), '2001:db8::1');
  t.equal(canonicalIpAddress('1.2.3.4/32'), undefined);
  t.equal(canonicalMac('56:B5:54:BE:B2:A2'), '56:b5:54:be:b2:a2');
  t.equal(canonicalMac('56-b5-54-be-b2-a2'), '56:b5:54:be:b2:a2');
  t.equal(canonicalMac('56b5.54be.b2a2'), '56:b5:54:be:b2:a2');
  for (const bad of ['56:b5:54:be:b2', '56:b5:54:be:b2:a2:00', '56:b5-54:be:b2:a2', 'gg:b5:54:be:b2:a2', '56:b5:54:be:b2:a2\n']) {
    t.equal(canonicalMac(bad), undefined, JSON.stringify(bad));
  }
});
