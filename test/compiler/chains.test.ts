import t from 'tap';
import { compileRuleset } from '../../compiler/compile.js';
import { CompileError } from '../../compiler/errors.js';
import type { Ruleset } from '../../compiler/ruleset.js';
import { endpoint, rule, state } from './state-builder.js';

/** Rule bodies of one chain without hash comments. */
function chain(rs: Ruleset, name: string): string[] {
  const c = rs.chains.find((x) => x.name === name);
  if (!c) throw new Error(`no chain ${name} in ${rs.chains.map((x) => x.name).join(', ')}`);
  return c.rules.map((r) => r.spec.replace(/^-m comment --comment "cali:[A-Za-z0-9_-]{16}" /, ''));
}

const allow = { inbound: [rule({ action: 'allow' })], outbound: [rule({ action: 'allow' })] };

t.test('endpoint chain with profiles only', async (t) => {
  const rs = compileRuleset(state({ endpoints: [endpoint('cali1', { profileIds: ['A', 'B'] })], profiles: { A: allow, B: allow } }), 4);
  t.same(chain(rs, 'cali-tw-cali1'), [
    '-m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT',
    '-m conntrack --ctstate INVALID -j DROP',
    '-j MARK --set-mark 0/0x10000',
    '-j cali-pri-A',
    '-m comment --comment "Return if profile accepted" -m mark --mark 0x10000/0x10000 -j RETURN',
    '-j cali-pri-B',
    '-m comment --comment "Return if profile accepted" -m mark --mark 0x10000/0x10000 -j RETURN',
    '-m comment --comment "Drop if no profiles matched" -j DROP',
  ]);
  t.same(chain(rs, 'cali-fw-cali1')[3], '-j cali-pro-A');
});

t.test('endpoint chain with policies: pass falls through to the profiles', async (t) => {
  const rs = compileRuleset(
    state({
      endpoints: [endpoint('cali1', { ingressPolicies: ['p1', 'p2'], egressPolicies: [], profileIds: ['A'] })],
      policies: { p1: allow, p2: allow },
      profiles: { A: allow },
    }),
    4,
  );
  t.same(chain(rs, 'cali-tw-cali1').slice(3), [
    '-m comment --comment "Start of policies" -j MARK --set-mark 0/0x20000',
    '-m mark --mark 0/0x20000 -j cali-pi-p1',
    '-m comment --comment "Return if policy accepted" -m mark --mark 0x10000/0x10000 -j RETURN',
    '-m mark --mark 0/0x20000 -j cali-pi-p2',
    '-m comment --comment "Return if policy accepted" -m mark --mark 0x10000/0x10000 -j RETURN',
    '-m comment --comment "Drop if no policies passed packet" -m mark --mark 0/0x20000 -j DROP',
    '-j cali-pri-A',
    '-m comment --comment "Return if profile accepted" -m mark --mark 0x10000/0x10000 -j RETURN',
    '-m comment --comment "Drop if no profiles matched" -j DROP',
  ]);
  t.same(chain(rs, 'cali-fw-cali1').slice(3), [
    '-j cali-pro-A',
    '-m comment --comment "Return if profile accepted" -m mark --mark 0x10000/0x10000 -j RETURN',
    '-m comment --comment "Drop if no profiles matched" -j DROP',
  ], 'no egress policy: straight to the profiles');
  const names = rs.chains.map((c) => c.name);
  t.ok(names.includes('cali-pi-p1') && names.includes('cali-pi-p2'));
  t.notOk(names.includes('cali-po-p1'), 'a policy chain nothing refers to is not produced');
});

t.test('a missing profile drops at its place; an inactive endpoint drops everything', async (t) => {
  const rs = compileRuleset(
    state({
      endpoints: [endpoint('cali1', { profileIds: ['missing', 'A'] }), endpoint('cali2', { active: false, profileIds: ['A'] })],
      profiles: { A: allow },
    }),
    4,
  );
  t.same(chain(rs, 'cali-tw-cali1').slice(3), [
    '-m comment --comment "Unknown profile" -j DROP',
    '-j cali-pri-A',
    '-m comment --comment "Return if profile accepted" -m mark --mark 0x10000/0x10000 -j RETURN',
    '-m comment --comment "Drop if no profiles matched" -j DROP',
  ]);
  t.same(chain(rs, 'cali-tw-cali2'), ['-m comment --comment "Endpoint is not active" -j DROP']);
  t.same(chain(rs, 'cali-fw-cali2'), ['-m comment --comment "Endpoint is not active" -j DROP']);
});

t.test('dispatch: direct rules for few interfaces, child chains by next character, DROP at every end', async (t) => {
  const rs = compileRuleset(state({ endpoints: [endpoint('cali1a'), endpoint('cali2b')] }), 4);
  t.same(chain(rs, 'cali-from-wl-dispatch'), [
    '-i cali1a --goto cali-fw-cali1a',
    '-i cali2b --goto cali-fw-cali2b',
    '-m comment --comment "Unknown interface" -j DROP',
  ]);
  t.same(chain(rs, 'cali-to-wl-dispatch'), [
    '-o cali1a --goto cali-tw-cali1a',
    '-o cali2b --goto cali-tw-cali2b',
    '-m comment --comment "Unknown interface" -j DROP',
  ]);
  const empty = compileRuleset(state({}), 4);
  t.same(chain(empty, 'cali-from-wl-dispatch'), ['-m comment --comment "Unknown interface" -j DROP'], 'no endpoints: fail closed');
  t.same(chain(empty, 'cali-to-wl-dispatch'), ['-m comment --comment "Unknown interface" -j DROP']);

  const hex = '0123456789abcdef';
  const ifaces = Array.from({ length: 200 }, (_, i) => `cali${hex[i % 16]}${hex[Math.floor(i / 16) % 16]}${String(i).padStart(3, '0')}`);
  const big = compileRuleset(state({ endpoints: ifaces.map((i) => endpoint(i)) }), 4);
  const root = chain(big, 'cali-from-wl-dispatch');
  t.equal(root.length, 17, '16 child chains + DROP');
  t.equal(root[3], '-i cali3+ --goto cali-from-wl-dispatch-3');
  t.equal(root[16], '-m comment --comment "Unknown interface" -j DROP');
  let covered = 0;
  for (const c of hex) {
    for (const dir of ['from', 'to'] as const) {
      const child = chain(big, `cali-${dir}-wl-dispatch-${c}`);
      t.equal(child[child.length - 1], '-m comment --comment "Unknown interface" -j DROP', `child ${dir}-${c} fails closed`);
      if (dir === 'from') covered += child.length - 1;
      for (const line of child.slice(0, -1)) t.match(line, dir === 'from' ? new RegExp(`^-i cali${c}\\S+ --goto cali-fw-cali${c}`) : new RegExp(`^-o cali${c}\\S+ --goto cali-tw-cali${c}`));
    }
  }
  t.equal(covered, 200, 'every interface dispatched exactly once');
  t.equal(chain(big, 'cali-to-wl-dispatch')[0], '-o cali0+ --goto cali-to-wl-dispatch-0');
});

t.test('dispatch with a name that is the common prefix itself', async (t) => {
  const rs = compileRuleset(state({ endpoints: ['cali1', 'cali1a', 'cali1b'].map((i) => endpoint(i)) }), 4);
  t.same(chain(rs, 'cali-from-wl-dispatch'), [
    '-i cali1 --goto cali-fw-cali1',
    '-i cali1a --goto cali-fw-cali1a',
    '-i cali1b --goto cali-fw-cali1b',
    '-m comment --comment "Unknown interface" -j DROP',
  ]);
});

t.test('static chains and hooks', async (t) => {
  const rs = compileRuleset(state({}), 4);
  t.same(chain(rs, 'cali-INPUT'), ['-i cali+ --goto cali-wl-to-host']);
  t.same(chain(rs, 'cali-wl-to-host'), ['-j cali-from-wl-dispatch', '-m comment --comment "Configured endpoint-to-host action" -j DROP']);
  t.same(chain(rs, 'cali-FORWARD'), [
    '-j MARK --set-mark 0/0xf0000',
    '-i cali+ -j cali-from-wl-dispatch',
    '-o cali+ -j cali-to-wl-dispatch',
    '-m comment --comment "Policy explicitly accepted packet." -m mark --mark 0x10000/0x10000 -j ACCEPT',
  ]);
  t.same(chain(rs, 'cali-OUTPUT'), ['-m comment --comment "Host to workload: not policed" -o cali+ -j RETURN']);
  t.same(rs.hooks.map((h) => [h.chain, h.rule.spec.replace(/^-m comment --comment "cali:[A-Za-z0-9_-]{16}" /, '')]), [
    ['INPUT', '-j cali-INPUT'],
    ['FORWARD', '-j cali-FORWARD'],
    ['OUTPUT', '-j cali-OUTPUT'],
  ]);
  const v6 = compileRuleset(state({}), 6);
  t.same(chain(v6, 'cali-wl-to-host').slice(0, 2), ['-p icmpv6 -m icmp6 --icmpv6-type 130 -j ACCEPT', '-p icmpv6 -m icmp6 --icmpv6-type 131 -j ACCEPT']);
  const accept = compileRuleset(state({}), 4, { endpointToHostAction: 'ACCEPT', workloadIfacePrefixes: ['cali', 'tap'] });
  t.same(chain(accept, 'cali-wl-to-host')[1], '-m comment --comment "Configured endpoint-to-host action" -j ACCEPT');
  t.same(chain(accept, 'cali-INPUT'), ['-i cali+ --goto cali-wl-to-host', '-i tap+ --goto cali-wl-to-host']);
  t.throws(() => compileRuleset(state({}), 4, { endpointToHostAction: 'MAYBE' as never }), CompileError);
});

t.test('ruleset invariants', async (t) => {
  const rs = compileRuleset(
    state({
      endpoints: [endpoint('cali1', { profileIds: ['k8s_ns.advanced-policy-demo'], ingressPolicies: ['advanced-policy-demo.access-nginx'] })],
      policies: { 'advanced-policy-demo.access-nginx': allow },
      profiles: { 'k8s_ns.advanced-policy-demo': allow },
    }),
    4,
  );
  const names = rs.chains.map((c) => c.name);
  t.same(names, [...names].sort(), 'chains sorted by name');
  for (const c of rs.chains) {
    t.ok(c.name.length <= 28 && c.name.startsWith('cali-'), c.name);
    const hashes = new Set(c.rules.map((r) => r.hash));
    t.equal(hashes.size, c.rules.length, `${c.name}: hashes differ within the chain`);
    for (const r of c.rules) t.ok(r.spec.startsWith(`-m comment --comment "cali:${r.hash}" `));
  }
  t.same(compileRuleset(state({ endpoints: [endpoint('cali1')] }), 4), compileRuleset(state({ endpoints: [endpoint('cali1')] }), 4), 'deterministic');
});

t.test('rule hashes depend on chain, position and text', async (t) => {
  const mk = (profiles: Record<string, typeof allow>, ids: string[]) => compileRuleset(state({ endpoints: [endpoint('cali1', { profileIds: ids })], profiles }), 4);
  const a = mk({ A: allow }, ['A']);
  const b = mk({ A: { inbound: [rule({ action: 'deny' }), rule({ action: 'allow' })], outbound: allow.outbound } }, ['A']);
  const hashesOf = (rs: Ruleset, n: string) => rs.chains.find((c) => c.name === n)!.rules.map((r) => r.hash);
  t.same(hashesOf(a, 'cali-pro-A'), hashesOf(b, 'cali-pro-A'), 'unchanged chain keeps its hashes');
  t.not(hashesOf(a, 'cali-pri-A')[0], hashesOf(b, 'cali-pri-A')[1], 'same text at another position hashes differently');
  t.not(hashesOf(a, 'cali-pri-A')[0], hashesOf(a, 'cali-pro-A')[0], 'same text in another chain hashes differently');
});

t.test('rule hashes change exactly when a rule, or one before it in its chain, changes', async (t) => {
  // Felix's RuleHashes: each hash chains the previous one, so a hash stands for its
  // chain, its position and every rule up to it. The dataplane compares and rewrites
  // whole chains, so a chain is rewritten exactly when one of its rules changed.
  const r = (action: 'allow' | 'deny' | 'log', protocol?: 'tcp' | 'udp') => rule({ action, ...(protocol ? { protocol } : {}) });
  const mk = (inbound: ReturnType<typeof r>[]) =>
    compileRuleset(state({ endpoints: [endpoint('cali1', { profileIds: ['A'] })], profiles: { A: { inbound, outbound: [r('allow')] } } }), 4);
  const hashes = (rs: Ruleset, n: string) => rs.chains.find((c) => c.name === n)!.rules.map((x) => x.hash);
  const base = mk([r('log'), r('deny', 'udp'), r('allow')]);
  const changed = mk([r('log'), r('deny', 'tcp'), r('allow')]);
  const appended = mk([r('log'), r('deny', 'udp'), r('allow'), r('deny')]);
  const [b, c, a] = [hashes(base, 'cali-pri-A'), hashes(changed, 'cali-pri-A'), hashes(appended, 'cali-pri-A')];
  t.equal(c[0], b[0], 'a rule before the change keeps its hash');
  t.not(c[1], b[1], 'the changed rule gets a new hash');
  t.not(c[2], b[2], 'a rule after it too (the chain is rewritten anyway)');
  t.same(a.slice(0, b.length), b, 'appending keeps every earlier hash');
  for (const other of base.chains.filter((x) => x.name !== 'cali-pri-A')) {
    t.same(hashes(changed, other.name), hashes(base, other.name), `${other.name}: untouched chain keeps its hashes`);
  }
  t.same(compileRuleset(state({ endpoints: [endpoint('cali1', { profileIds: ['A'] })], profiles: { A: { inbound: [r('log'), r('deny', 'udp'), r('allow')], outbound: [r('allow')] } } }), 4).chains, base.chains, 'stable: same input, same hashes');
  const moved = hashes(compileRuleset(state({ endpoints: [endpoint('cali1', { profileIds: ['A'] })], profiles: { A: { inbound: [r('allow'), r('log'), r('deny', 'udp')], outbound: [r('allow')] } } }), 4), 'cali-pri-A');
  t.equal(new Set([...moved, ...b]).size, moved.length + b.length, 'the same rules in another order share no hash');
});

t.test('inconsistent desired state is an error, not a broken ruleset', async (t) => {
  t.throws(
    () => compileRuleset(state({ endpoints: [endpoint('cali1', { profileIds: ['A'] })], profiles: { A: { inbound: [rule({ action: 'allow', srcIpSetIds: ['s:missing'] })], outbound: [] } } }), 4),
    /s:missing.*does not define it/,
  );
  const s = state({ endpoints: [endpoint('cali1')] });
  (s.endpoints as Map<string, unknown>).set('cali2', endpoint('cali9'));
  t.throws(() => compileRuleset(s, 4), /differs from the key/);
});

t.test('memo: a changed RuleSet object or endpoint is re-rendered', async (t) => {
  const A1 = { inbound: [rule({ action: 'allow' })], outbound: [] };
  const ep = endpoint('cali1', { profileIds: ['A'] });
  const r1 = compileRuleset(state({ endpoints: [ep], profiles: { A: A1 } }), 4);
  const A2 = { inbound: [rule({ action: 'deny' })], outbound: [] };
  const r2 = compileRuleset(state({ endpoints: [ep], profiles: { A: A2 } }), 4);
  t.not(chain(r1, 'cali-pri-A')[0], chain(r2, 'cali-pri-A')[0]);
  ep.profileIds = ['B'];
  const r3 = compileRuleset(state({ endpoints: [ep], profiles: { B: A2 } }), 4);
  t.same(chain(r3, 'cali-tw-cali1')[3], '-j cali-pri-B', 'a mutated endpoint misses the memo');
  A2.inbound.push(rule({ action: 'log' }));
  const r4 = compileRuleset(state({ endpoints: [ep], profiles: { B: A2 } }), 4);
  t.equal(chain(r4, 'cali-pri-B').length, 2, 'a rule list that grew in place misses the memo');
});
