// The start-up fast paths for addresses already in canonical form must agree with the general
// parser and printer on every input, tricky ones included: the fast path may only ever answer
// "this text is already canonical", never accept or spell something the general path would not.
import t from 'tap';
import {
  canonicalCidr, canonicalIpv4HostValue, canonicalMac, formatCidr, formatIpAddress, isCanonicalIpv4HostNetwork, parseCidr, parseIpAddress,
} from '../../src/model/net.js';
import { checkHostNetwork, checkLabels, checkMac, checkOwnedLabels } from '../../src/model/validation.js';
import { ValidationError } from '../../src/model/errors.js';
import { parseDatastoreKey, unescapeKeySegment } from '../../src/model/storage-keys.js';

const TRICKY_V4 = [
  '198.18.0.2/32', '0.0.0.0/32', '255.255.255.255/32', '10.0.0.1/32', '1.2.3.4/32',
  '01.2.3.4/32', '1.02.3.4/32', '1.2.3.00/32', '00.0.0.0/32', '256.1.1.1/32', '1.2.3.256/32', '1.2.3.4/032',
  '1.2.3.4/33', '1.2.3.4/31', '1.2.3.4/3', '1.2.3.4/', '1.2.3.4', '1.2.3/32', '1.2.3.4.5/32', '1..3.4/32',
  '.1.2.3/32', '1.2.3./32', ' 1.2.3.4/32', '1.2.3.4/32 ', '1.2.3.4 /32', '+1.2.3.4/32', '1.2.3.-4/32',
  '１.2.3.4/32', '1.2.3.4/32/32', '/32', '', '32', '1.2.3.4//32', '1000.2.3.4/32', '999.2.3.4/32',
  '::1/128', '::ffff:1.2.3.4/128', '1.2.3.4/0032', '0x1.2.3.4/32', '1e2.2.3.4/32',
];

t.test('isCanonicalIpv4HostNetwork holds exactly when the text is a canonical IPv4 /32', (t) => {
  for (const text of TRICKY_V4) {
    const c = parseCidr(text);
    const general = c !== undefined && c.version === 4 && c.prefixLength === 32 && formatCidr(c) === text;
    t.equal(isCanonicalIpv4HostNetwork(text), general, JSON.stringify(text));
  }
  t.end();
});

t.test('canonicalIpv4HostValue reads exactly the canonical IPv4 hosts, bare or /32', (t) => {
  const bare = TRICKY_V4.filter((x) => x.endsWith('/32')).map((x) => x.slice(0, -3));
  for (const text of [...TRICKY_V4, ...bare, '1.2.3.4/32/', '1.2.3.4/23', '1.2.3.4/3 ']) {
    const c = parseCidr(text, { allowBareAddress: true });
    const general = c !== undefined && c.version === 4 && c.prefixLength === 32 &&
      (formatCidr(c) === text || formatIpAddress(c) === text);
    const got = canonicalIpv4HostValue(text);
    t.equal(got >= 0, general, JSON.stringify(text));
    if (general) t.equal(got, ((c.bytes[0]! << 24) | (c.bytes[1]! << 16) | (c.bytes[2]! << 8) | c.bytes[3]!) >>> 0, `${JSON.stringify(text)} value`);
  }
  t.end();
});

t.test('checkHostNetwork gives the same value or the same error as before the fast path', (t) => {
  for (const text of TRICKY_V4) {
    for (const version of [undefined, 4, 6] as const) {
      let got: string;
      try {
        got = checkHostNetwork(text, 'ipv4_nets[0]', version);
      } catch (e) {
        t.ok(e instanceof ValidationError, `${JSON.stringify(text)} v${version}: a ValidationError`);
        continue;
      }
      const c = parseCidr(text)!;
      t.ok(c !== undefined, `${JSON.stringify(text)} v${version} parses`);
      t.equal(got, canonicalCidr(text), `${JSON.stringify(text)} v${version} canonical`);
      if (version !== undefined) t.equal(c.version, version, `${JSON.stringify(text)} is IPv${version}`);
    }
  }
  t.throws(() => checkHostNetwork('1.2.3.4/32', 'n', 6), /IPv6/, 'an IPv4 network is no IPv6 network');
  t.throws(() => checkHostNetwork('01.2.3.4/32', 'n', 4), /network such as/, 'a leading zero is still rejected');
  t.end();
});

t.test('IPv4 parsing and printing round-trip every octet value', (t) => {
  for (let n = 0; n < 256; n++) {
    const text = `${n}.${255 - n}.${n}.0`;
    const ip = parseIpAddress(text);
    t.ok(ip, text);
    if (ip) t.equal(formatIpAddress(ip), text);
  }
  t.end();
});

t.test('canonicalMac: a canonical MAC is returned as is, any other spelling as before', (t) => {
  const cases: [string, string | undefined][] = [
    ['ee:00:00:00:7a:01', 'ee:00:00:00:7a:01'],
    ['EE:00:00:00:7A:01', 'ee:00:00:00:7a:01'],
    ['ee-00-00-00-7a-01', 'ee:00:00:00:7a:01'],
    ['ee00.0000.7a01', 'ee:00:00:00:7a:01'],
    ['ee:00:00:00:7a', undefined],
    ['ee:00:00:00:7a:01:02', undefined],
    ['ee:00:00:00:7a:0g', undefined],
    ['ee:00-00:00:7a:01', undefined],
    ['ee:00:00:00:7a:01\n', undefined],
    ['', undefined],
  ];
  for (const [text, want] of cases) t.equal(canonicalMac(text), want, JSON.stringify(text));
  t.equal(checkMac('ee:00:00:00:7a:01', 'mac'), 'ee:00:00:00:7a:01');
  t.throws(() => checkMac('ee:00:00:00:7a', 'mac'), /MAC address/);
  t.end();
});

t.test('checkLabels keeps "__proto__" and other Object.prototype names as own labels', (t) => {
  const raw = JSON.parse('{"__proto__":"a","toString":"b","constructor":"","app":"web"}') as unknown;
  const labels = checkLabels(raw, 'labels');
  t.same(Object.keys(labels), ['__proto__', 'toString', 'constructor', 'app']);
  t.equal(Object.getPrototypeOf(labels), Object.prototype, 'an ordinary object');
  t.ok(Object.prototype.hasOwnProperty.call(labels, '__proto__'));
  t.equal(labels['__proto__'], 'a');
  t.equal(labels.toString, 'b');
  t.throws(() => checkLabels({ app: 'we b' }, 'labels'), /labels\.app/, 'an error still names the field');
  t.end();
});

t.test('key parsing without escapes agrees with the escaping path', (t) => {
  t.equal(unescapeKeySegment('plain'), 'plain');
  t.equal(unescapeKeySegment(''), undefined);
  t.equal(unescapeKeySegment('a%2Fb'), 'a/b');
  t.equal(unescapeKeySegment('a%zz'), undefined);
  const wep = '/calico/v1/host/n1/workload/k8s/w1/endpoint/eth0';
  t.same(parseDatastoreKey(wep), { kind: 'workloadEndpoint', id: { node: 'n1', orchestrator: 'k8s', workload: 'w1', name: 'eth0' } });
  t.equal(parseDatastoreKey('/calico/v1/host/n1/workload/k8s//endpoint/eth0'), undefined, 'an empty segment');
  t.equal(parseDatastoreKey('/calico/v1/host/n1/workload/k8s/w1/endpoint/'), undefined, 'an empty last segment');
  t.same(parseDatastoreKey('/calico/v1/host/n1/workload/k8s/ns%2fw1/endpoint/eth0'),
    { kind: 'workloadEndpoint', id: { node: 'n1', orchestrator: 'k8s', workload: 'ns/w1', name: 'eth0' } });
  t.end();
});

t.test('checkOwnedLabels checks as checkLabels does and keeps an ordinary object', (t) => {
  const raw = JSON.parse('{"2":"x","__proto__":"a","app":"web"}') as Record<string, string>;
  const kept = checkOwnedLabels(raw, 'labels');
  t.equal(kept, raw, 'the parsed object itself');
  t.same(Object.keys(kept), Object.keys(checkLabels(raw, 'labels')), 'the keys checkLabels would copy, in order');
  const bare = Object.create(null) as Record<string, string>;
  bare.app = 'web';
  const copied = checkOwnedLabels(bare, 'labels');
  t.not(copied, bare, 'any other object is copied');
  t.equal(Object.getPrototypeOf(copied), Object.prototype);
  for (const bad of [{ 'a b': 'x' }, { app: 5 }, { app: '-x' }, ['x'], 'x', null]) {
    let want = '';
    let got = '';
    try { checkLabels(bad, 'labels'); } catch (e) { want = (e as Error).message; }
    try { checkOwnedLabels(bad, 'labels'); } catch (e) { got = (e as Error).message; }
    t.ok(want !== '', `${JSON.stringify(bad)} is rejected`);
    t.equal(got, want, `${JSON.stringify(bad)}: the same error`);
  }
  t.end();
});
