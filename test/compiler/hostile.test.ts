// Hostile names and strings cannot inject rules: policy and profile names
// reach the restore text only as hashed chain names; selectors never reach it
// (only their hashed set names do); anything else unsafe is a CompileError
// before any text exists.
import t from 'tap';
import { compileRuleset } from '../../compiler/compile.js';
import { CompileError } from '../../compiler/errors.js';
import { renderIpsetRestore, renderRestore } from '../../compiler/restore.js';
import type { DesiredState } from '../../compiler/desired-state.js';
import { checkRestoreText, HOSTILE } from './restore-shape.js';
import { endpoint, rule, state } from './state-builder.js';

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
