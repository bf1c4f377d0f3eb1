// Hostile names and strings cannot inject rules: policy and profile names
// reach the restore text only as hashed chain names; selectors never reach it
// (only their hashed set names do); anything else unsafe is a CompileError
// before any text exists.
import t from 'tap';
import { compileRuleset } from '../../compiler/compile.js';
import { CompileError } from '../../compiler/errors.js';
import { policyChainName } from '../../compiler/names.js';
import { renderIpsetRestore, renderRestore } from '../../compiler/restore.js';
import type { DesiredState } from '../../compiler/desired-state.js';
import { checkRestoreText, HOSTILE } from './restore-shape.js';
import { endpoint, rule, state } from './state-builder.js';
import { main } from '../../src/cli/tabby.js';
import { ValidationError } from '../../src/model/errors.js';
import { parseResources } from '../../src/model/parse.js';
import { HOSTS_PREFIX, POLICIES_PREFIX, PROFILES_PREFIX } from '../../src/model/storage.js';
import { memoryStore } from './memory-store.js';

t.test('hostile policy and profile names appear only hashed', async (t) => {
  const policies: Record<string, { inbound: ReturnType<typeof rule>[]; outbound: ReturnType<typeof rule>[] }> = {};
  const profiles: typeof policies = {};
  HOSTILE.forEach((name) => {
    policies[name] = { inbound: [rule({ action: 'allow', srcIpSetIds: ['s:AAAA'] })], outbound: [rule({ action: 'deny' })] };
    profiles[name] = { inbound: [rule({ action: 'allow' })], outbound: [rule({ action: 'allow' })] };
  });
  const ds: DesiredState = state({
    endpoints: [endpoint('cali1', { ingressPolicies: HOSTILE, egressPolicies: HOSTILE, profileIds: HOSTILE })],
    policies,
    profiles,
    ipSets: { 's:AAAA': { selector: 'role == "x\\" -j ACCEPT\n-A INPUT -j ACCEPT"', v4: new Set(['198.18.0.1/32']), v6: new Set(['fd00::1/128']) } },
  });
  for (const v of [4, 6] as const) {
    const rs = compileRuleset(ds, v);
    const text = renderRestore(rs);
    const sets = renderIpsetRestore(rs);
    for (const h of HOSTILE) {
      // "-j ACCEPT" alone is also Tabby's own text; checkRestoreText accounts for every ACCEPT.
      if (h !== '-j ACCEPT') t.notOk(text.includes(h), `IPv${v} restore text does not contain ${JSON.stringify(h)}`);
      t.notOk(sets.includes(h), `IPv${v} ipset text does not contain ${JSON.stringify(h)}`);
    }
    t.notOk(text.includes('role'), 'selector text never reaches iptables');
    t.notOk(sets.includes('role'), 'selector text never reaches ipset');
    checkRestoreText(t, text);
    t.equal(rs.chains.filter((c) => /^cali-p(i|o|ri|ro)-_/.test(c.name)).length, HOSTILE.length * 4, 'every hostile name became a hashed chain');
  }
});

t.test('unsafe values that cannot be hashed are rejected', async (t) => {
  const base = { inbound: [rule({ action: 'allow' })], outbound: [] };
  const cases: [string, () => DesiredState][] = [
    ['interface name', () => state({ endpoints: [endpoint('cali1 -j ACCEPT')] })],
    ['interface name with newline', () => state({ endpoints: [endpoint('cali1\n')] })],
    ['IP set id', () => state({ endpoints: [endpoint('cali1', { profileIds: ['A'] })], profiles: { A: { inbound: [rule({ action: 'allow', srcIpSetIds: ['s:x -j ACCEPT'] })], outbound: [] } }, ipSets: { 's:x -j ACCEPT': {} } })],
    ['CIDR', () => state({ endpoints: [endpoint('cali1', { profileIds: ['A'] })], profiles: { A: { inbound: [rule({ action: 'allow', srcNets: ['10.0.0.0/8 -j ACCEPT'] })], outbound: [] } } })],
    ['protocol', () => state({ endpoints: [endpoint('cali1', { profileIds: ['A'] })], profiles: { A: { inbound: [rule({ action: 'allow', protocol: 'tcp -j ACCEPT' })], outbound: [] } } })],
    ['port', () => state({ endpoints: [endpoint('cali1', { profileIds: ['A'] })], profiles: { A: { inbound: [rule({ action: 'allow', protocol: 'tcp', dstPorts: ['80 -j ACCEPT'] })], outbound: [] } } })],
    ['icmp type', () => state({ endpoints: [endpoint('cali1', { profileIds: ['A'] })], profiles: { A: { inbound: [rule({ action: 'allow', protocol: 'icmp', icmpType: '8 -j ACCEPT' as never })], outbound: [] } } })],
    ['ipset member', () => state({ endpoints: [endpoint('cali1', { profileIds: ['A'] })], profiles: { A: { inbound: [rule({ action: 'allow', srcIpSetIds: ['s:B'] })], outbound: [] } }, ipSets: { 's:B': { v4: new Set(['1.2.3.4\ncreate x']) } } })],
    ['action', () => state({ endpoints: [endpoint('cali1', { profileIds: ['A'] })], profiles: { A: { inbound: [rule({ action: 'ACCEPT' as never })], outbound: [] } } })],
  ];
  for (const [what, make] of cases) {
    t.throws(() => compileRuleset(make(), 4), CompileError, what);
  }
  t.ok(base);
});

// The same through the whole pipeline: hostile text written straight into the
// datastore (as a careless script or an attacker with etcd access might) and
// hostile text in YAML. What validation rejects is skipped or refused; what it
// accepts reaches the restore text only hashed.
const ep = (iface: string, extra: Record<string, unknown> = {}) =>
  JSON.stringify({ state: 'active', name: iface, mac: '02:00:c6:12:00:02', profile_ids: ['safe'], ipv4_nets: ['198.18.0.2/32'], ipv6_nets: ['fd00::2/128'], labels: {}, ...extra });
const POLICY = `${POLICIES_PREFIX}`;
const HOST = `${HOSTS_PREFIX}host-01/workload/docker`;

t.test('hostile datastore contents: skipped with a message or hashed, never a rule', async (t) => {
  const kvs = new Map<string, string>([
    [`${PROFILES_PREFIX}safe/rules`, JSON.stringify({ inbound_rules: [{ action: 'allow', src_selector: 'role == "x"' }], outbound_rules: [{ action: 'allow' }] })],
    [`${PROFILES_PREFIX}safe/labels`, JSON.stringify({ role: 'x' })],
    // A policy key whose name segment is hostile text names nothing valid: not read at all.
    [`${POLICY}x" -j ACCEPT`, JSON.stringify({ selector: 'all()', order: 1, inbound_rules: [{ action: 'allow', src_selector: "role == 'a\" -j ACCEPT'" }], outbound_rules: [{ action: 'deny' }] })],
    [`${POLICY}ok.policy`, JSON.stringify({ selector: "has(role) && role != 'evil -j ACCEPT'", order: 2, inbound_rules: [{ action: 'deny', src_selector: "role in {'$(reboot)', 'a b'}" }], outbound_rules: [] })],
    // Values that must not decode: a hostile interface name, label value, profile id, CIDR, protocol, port.
    [`${HOST}/w-iface/endpoint/eth0`, ep('cali1 -j ACCEPT')],
    [`${HOST}/w-label/endpoint/eth0`, ep('cali2', { labels: { role: 'x" -j ACCEPT' } })],
    [`${HOST}/w-net/endpoint/eth0`, ep('cali3', { ipv4_nets: ['198.18.0.3/32 -j ACCEPT'] })],
    [`${POLICY}bad-proto`, JSON.stringify({ selector: 'all()', order: 3, inbound_rules: [{ action: 'allow', protocol: 'tcp -j ACCEPT' }], outbound_rules: [] })],
    [`${POLICY}bad-port`, JSON.stringify({ selector: 'all()', order: 4, inbound_rules: [{ action: 'allow', protocol: 'tcp', dst_ports: ['80 -j ACCEPT'] }], outbound_rules: [] })],
    [`${POLICY}bad-selector`, JSON.stringify({ selector: 'all()', order: 5, inbound_rules: [{ action: 'allow', src_selector: 'a == "b"\n-A INPUT -j ACCEPT' }], outbound_rules: [] })],
    // A valid v1 name that is not safe verbatim in a chain name (a "/" and too long): hashed.
    [`${POLICY}ops%2faudit-everything-always`, JSON.stringify({ selector: 'all()', order: 0, inbound_rules: [{ action: 'log' }], outbound_rules: [] })],
    // A safe endpoint the policies select, and one whose profile id is hostile text.
    [`${HOST}/w-ok/endpoint/eth0`, ep('cali4')],
    [`${HOST}/w-prof/endpoint/eth0`, ep('cali5', { profile_ids: ['evil\n-A INPUT -j ACCEPT', 'safe'] })],
  ]);
  const outputs: string[] = [];
  for (const args of [[], ['--format', 'ipset'], ['--ipv6'], ['--ipv6', '--format', 'ipset'], ['--format', 'json']]) {
    let stdout = '';
    let stderr = '';
    const code = await main(['compile', '--node', 'host-01', ...args], {
      stdout: { write: (s: string) => (stdout += s) },
      stderr: { write: (s: string) => (stderr += s) },
      env: {},
      openDatastore: async () => memoryStore(kvs),
    });
    t.equal(code, 0, `compile ${args.join(' ')} exits 0`);
    const skipped = ['w-iface', 'w-label', 'w-net', 'bad-proto', 'bad-port', 'bad-selector', 'w-prof'];
    for (const key of skipped) t.match(stderr, new RegExp(`skipped "[^"]*${key}[^"]*"`), `${key} is skipped and named`);
    t.equal(stderr.split('\n').filter((l) => l !== '').length, skipped.length, 'nothing else is skipped');
    outputs.push(stdout);
    if (args.length === 0 || (args.length === 1 && args[0] === '--ipv6')) {
      checkRestoreText(t, stdout);
      const hashed = policyChainName('inbound', 'ops/audit-everything-always');
      t.match(hashed, /^cali-pi-_[A-Za-z0-9_-]{19}$/);
      t.ok(stdout.includes(`-A ${hashed} `), 'a name unsafe in a chain name became a hashed chain');
      t.ok(stdout.includes(`-j ${hashed}\n`), 'and the endpoint jumps to it');
      t.match(stdout, /-A cali-pi-ok\.policy .* -m set --match-set cali[46]0s:[A-Za-z0-9_-]{23} src -j DROP$/m, 'hostile selector text only as a set name');
      t.notMatch(stdout, /cali-tw-cali5/, 'an endpoint with a hostile profile id is skipped whole');
    }
  }
  for (const output of outputs) {
    // Hash comments are random-looking text that could contain anything short; look past them.
    const text = output.replace(/--comment "cali:[A-Za-z0-9_-]{16}"/g, '--comment HASH');
    for (const bad of ['x" -j', 'a" -j', 'evil', 'reboot', 'a b', 'role', 'ops', 'audit', 'cali1 ', 'cali2', 'cali3', 'cali5', '-A INPUT']) {
      t.notOk(text.includes(bad), `no ${JSON.stringify(bad)} in the output`);
    }
  }
});

t.test('hostile YAML is refused by validation before anything is stored', async (t) => {
  const doc = (name: string, extra = '') => `- apiVersion: v1\n  kind: policy\n  metadata:\n    name: ${name}\n  spec:\n    selector: all()${extra}\n`;
  for (const [what, text] of [
    ['policy name with a quote', doc(JSON.stringify('x" -j ACCEPT'))],
    ['policy name with a newline', doc(JSON.stringify('evil\n-A INPUT -j ACCEPT'))],
    ['policy name with a space', doc(JSON.stringify('a b'))],
    ['label value', `- apiVersion: v1\n  kind: profile\n  metadata:\n    name: p\n    labels:\n      role: ${JSON.stringify('x" -j ACCEPT')}\n`],
    ['selector', doc('p', `\n    ingress:\n    - action: allow\n      source:\n        selector: ${JSON.stringify('a == "b" -j ACCEPT')}`)],
    ['interface name', `- apiVersion: v1\n  kind: workloadEndpoint\n  metadata:\n    name: eth0\n    node: host-01\n    orchestrator: docker\n    workload: w\n  spec:\n    interfaceName: ${JSON.stringify('cali1 -j ACCEPT')}\n    ipNetworks: [198.18.0.2/32]\n`],
  ] as const) {
    t.throws(() => parseResources(text), ValidationError, what);
  }
});
