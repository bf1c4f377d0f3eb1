// The memoised IP set specs and the compile-level reuse: an unchanged set or chain is the very
// same object again, a changed one has exactly the members a fresh computation gives.
import t from 'tap';
import { compileRuleset } from '../../compiler/compile.js';
import { DEFAULT_COMPILER_CONFIG } from '../../compiler/config.js';
import type { DesiredState, IpSetMembers, LocalEndpoint, ResolvedRule, RuleSet } from '../../compiler/desired-state.js';
import { CompileError } from '../../compiler/errors.js';
import { ipSetMembers, ipSetSpec } from '../../compiler/ipsets.js';

const config = DEFAULT_COMPILER_CONFIG;

/** A live set as calc keeps it: mutable member sets, with or without a revision. */
function liveSet(v4: string[], v6: string[] = [], withRevision = true): IpSetMembers & { v4: Set<string>; v6: Set<string> } {
  const s = { selector: 'app == "web"', v4: new Set(v4), v6: new Set(v6) };
  return withRevision ? { ...s, revision: 0 } : s;
}

t.test('same object, same revision: the very same IpSetSpec', async (t) => {
  const live = liveSet(['198.18.0.3/32', '198.18.0.2/32']);
  const a = ipSetSpec('s:web', live, 4, config);
  t.same(a.members, ['198.18.0.2', '198.18.0.3']);
  t.equal(ipSetSpec('s:web', live, 4, config), a, 'memo hit');
  const v6 = ipSetSpec('s:web', live, 6, config);
  t.not(v6, a, 'each family has its own spec');
  t.same(v6.members, []);
  t.equal(v6.family, 'inet6');
});

t.test('a first build of mixed members (networks, IPv6, two spellings of one host) agrees with a fresh computation', async (t) => {
  const v4 = ['198.18.0.9/32', '198.18.0.0/24', '198.18.0.1', '198.18.0.1/32', '10.1.2.3/8', '198.19.128.0/17', '198.18.0.10/32', '0.0.0.1'];
  const v6 = ['fd00::2/128', 'fd00::/64', 'fd00::1', 'FD00::1/128', 'fd00:0::3/128'];
  const live = liveSet(v4, v6);
  t.same(ipSetSpec('s:mixed', live, 4, config).members, ipSetMembers(v4, 4, 'x'));
  t.same(ipSetSpec('s:mixed', live, 6, config).members, ipSetMembers(v6, 6, 'x'));
  live.v4.delete('198.18.0.1');
  live.revision!++;
  t.ok(ipSetSpec('s:mixed', live, 4, config).members.includes('198.18.0.1'), 'one spelling left: still a member');
  live.v4.delete('198.18.0.1/32');
  live.revision!++;
  t.notOk(ipSetSpec('s:mixed', live, 4, config).members.includes('198.18.0.1'), 'both spellings gone: no longer a member');
  t.throws(() => ipSetSpec('s:bad', liveSet(['198.18.0.1/32', '198.18.0.01/32']), 4, config), CompileError, 'a bad member throws');
});

t.test('a changed set after a memo hit has the right members', async (t) => {
  const live = liveSet(['198.18.0.2/32', '198.18.0.9/32']);
  const before = ipSetSpec('s:web', live, 4, config);
  ipSetSpec('s:web', live, 4, config);
  live.v4.add('198.18.0.5/32');
  live.v4.delete('198.18.0.9/32');
  live.revision!++;
  const after = ipSetSpec('s:web', live, 4, config);
  t.not(after, before, 'a new object for new members');
  t.same(after.members, ['198.18.0.2', '198.18.0.5']);
  t.same(before.members, ['198.18.0.2', '198.18.0.9'], 'the old spec is left as it was (immutable)');
});

t.test('random changes: always what a fresh computation gives', async (t) => {
  // A deterministic walk over a pool mixing host addresses, networks and two spellings of one host.
  let seed = 7;
  const rand = (n: number): number => { seed = (seed * 1103515245 + 12345) % 2 ** 31; return seed % n; };
  const pool = [
    ...Array.from({ length: 40 }, (_, i) => `198.18.${i % 3}.${(i * 37) % 250 + 1}/32`),
    '198.18.0.0/24', '198.18.0.0/16', '198.19.128.0/17', '198.18.0.1', '198.18.0.1/32', '10.1.2.3/8',
  ];
  const live = liveSet([]);
  const bare = liveSet([], [], false);
  for (let step = 0; step < 300; step++) {
    for (let k = rand(4); k >= 0; k--) {
      const m = pool[rand(pool.length)]!;
      for (const s of [live, bare]) if (s.v4.has(m)) s.v4.delete(m); else s.v4.add(m);
    }
    live.revision!++;
    const want = ipSetMembers(live.v4, 4, 'x');
    const got = ipSetSpec('s:walk', live, 4, config);
    const gotBare = ipSetSpec('s:bare', bare, 4, config);
    if (JSON.stringify(got.members) !== JSON.stringify(want) || JSON.stringify(gotBare.members) !== JSON.stringify(want)) {
      t.fail(`step ${step}: ${JSON.stringify(got.members)} / ${JSON.stringify(gotBare.members)} != ${JSON.stringify(want)}`);
      return;
    }
  }
  t.pass('300 steps agree');
});

t.test('small changes to a large set (members placed by binary search) agree with a fresh computation', async (t) => {
  let seed = 11;
  const rand = (n: number): number => { seed = (seed * 1103515245 + 12345) % 2 ** 31; return seed % n; };
  // 1,000 hosts plus the networks and two-spellings cases, so a change is far below 1/16 of the set.
  const pool = [
    ...Array.from({ length: 1200 }, (_, i) => `198.${18 + (i % 2)}.${(i * 7) % 256}.${(i * 37) % 254 + 1}/32`),
    '198.18.0.0/24', '198.18.0.0/16', '198.19.128.0/17', '198.18.0.1', '198.18.0.1/32', '198.19.0.0/15',
  ];
  const live = liveSet(pool.slice(0, 1000));
  ipSetSpec('s:large', live, 4, config);
  for (let step = 0; step < 200; step++) {
    for (let k = rand(3); k >= 0; k--) {
      const m = pool[rand(pool.length)]!;
      if (live.v4.has(m)) live.v4.delete(m); else live.v4.add(m);
    }
    live.revision!++;
    const want = ipSetMembers(live.v4, 4, 'x');
    const got = ipSetSpec('s:large', live, 4, config).members;
    if (JSON.stringify(got) !== JSON.stringify(want)) {
      t.fail(`step ${step}: ${got.length} members, want ${want.length}`);
      return;
    }
  }
  t.pass('200 steps agree');
});

t.test('a set without a revision is always rechecked', async (t) => {
  const live = liveSet(['198.18.0.2/32'], [], false);
  const a = ipSetSpec('s:norev', live, 4, config);
  t.equal(ipSetSpec('s:norev', live, 4, config), a, 'unchanged: the same object');
  live.v4.add('198.18.0.7/32'); // no revision to bump
  const b = ipSetSpec('s:norev', live, 4, config);
  t.same(b.members, ['198.18.0.2', '198.18.0.7']);
  live.v4.delete('198.18.0.7/32');
  live.v4.delete('198.18.0.2/32');
  live.v4.add('198.18.0.2'); // another spelling of a member that stays
  t.same(ipSetSpec('s:norev', live, 4, config).members, ['198.18.0.2']);
});

t.test('a bad member is refused with the same error, and leaves the memo intact', async (t) => {
  const live = liveSet(['198.18.0.2/32']);
  ipSetSpec('s:bad', live, 4, config);
  for (const [bad, why] of [['198.18.0.300/32', /is not a CIDR/], ['fd00::1/128', /is not an IPv4 CIDR/], ['0.0.0.0/0', /is a \/0/]] as const) {
    live.v4.add(bad);
    live.revision!++;
    const err = (() => { try { ipSetSpec('s:bad', live, 4, config); return undefined; } catch (e) { return e; } })();
    t.ok(err instanceof CompileError, bad);
    t.match((err as Error).message, why);
    t.match((err as Error).message, 'ipSets["s:bad"].v4');
    t.match((err as Error).message, bad);
    t.throws(() => ipSetSpec('s:bad', live, 4, config), CompileError, 'still refused on the next compile');
    live.v4.delete(bad);
    live.revision!++;
    t.same(ipSetSpec('s:bad', live, 4, config).members, ['198.18.0.2'], 'back to the good members');
  }
});

t.test('maxelem follows the member count through the memo', async (t) => {
  const small = { ...config, ipSetMinMaxElem: 4 };
  const live = liveSet(['198.18.0.1/32']);
  t.equal(ipSetSpec('s:grow', live, 4, small).maxelem, 4);
  for (let i = 2; i <= 5; i++) live.v4.add(`198.18.0.${i}/32`);
  live.revision!++;
  t.equal(ipSetSpec('s:grow', live, 4, small).maxelem, 16, '5 members: 2*5 rounded up to a power of two');
  t.equal(ipSetSpec('s:grow', live, 4, config).maxelem, config.ipSetMinMaxElem, 'another config is another spec');
});

// ---- compileRuleset

const allowFrom = (setId: string): ResolvedRule => ({
  action: 'allow', srcNets: [], dstNets: [], notSrcNets: [], notDstNets: [], srcPorts: [], dstPorts: [],
  notSrcPorts: [], notDstPorts: [], srcIpSetIds: [setId], dstIpSetIds: [], notSrcIpSetIds: [], notDstIpSetIds: [],
});

function endpoint(n: number, policies: string[]): LocalEndpoint {
  const iface = `cali${String(n).padStart(11, '0')}`;
  return {
    id: `node/k8s/pod-${n}/eth0`, interfaceName: iface, active: true, mac: '02:00:c6:12:00:02',
    ipv4Nets: [`198.18.1.${n}/32`], ipv6Nets: [], ingressPolicies: policies, egressPolicies: [], profileIds: [],
  };
}

function state(): { state: DesiredState; endpoints: Map<string, LocalEndpoint>; policies: Map<string, RuleSet>; sets: Map<string, IpSetMembers & { v4: Set<string> }> } {
  const sets = new Map([['s:a', liveSet(['198.18.2.1/32', '198.18.2.2/32'])], ['s:b', liveSet(['198.18.3.1/32'])]]);
  const policies = new Map<string, RuleSet>([
    ['default.a', { inbound: [allowFrom('s:a')], outbound: [] }],
    ['default.b', { inbound: [allowFrom('s:b')], outbound: [] }],
  ]);
  const endpoints = new Map([1, 2, 3].map((n) => { const ep = endpoint(n, n === 3 ? ['default.b'] : ['default.a']); return [ep.interfaceName, ep]; }));
  return { state: { endpoints, policies, profiles: new Map(), ipSets: sets }, endpoints, policies, sets };
}

t.test('compileRuleset: unchanged chains and sets are the same objects; a fresh compile agrees', async (t) => {
  const s = state();
  const first = compileRuleset(s.state, 4);
  const second = compileRuleset(s.state, 4);
  t.same(second, first);
  t.ok(second.chains.every((c, i) => c === first.chains[i]), 'every chain is the very same object');
  t.ok(second.ipSets.every((x, i) => x === first.ipSets[i]), 'every IP set is the very same object');

  // One member change: only that set is new, and the result equals a from-scratch compile.
  s.sets.get('s:a')!.v4.add('198.18.2.3/32');
  s.sets.get('s:a')!.revision!++;
  const third = compileRuleset(s.state, 4);
  const changed = third.ipSets.filter((x, i) => x !== second.ipSets[i]);
  t.same(changed.map((x) => x.members), [['198.18.2.1', '198.18.2.2', '198.18.2.3']]);
  t.ok(third.chains.every((c, i) => c === second.chains[i]), 'no chain re-rendered');
  t.same(third, compileRuleset(structuredClone(s.state), 4), 'same as a compile of copies (no memo)');

  // An endpoint that changes policy and one that goes: chains follow, and still agree.
  const ep3 = s.endpoints.get('cali00000000003')!;
  s.endpoints.set(ep3.interfaceName, { ...ep3, ingressPolicies: ['default.a'] });
  s.endpoints.delete('cali00000000002');
  const fourth = compileRuleset(s.state, 4);
  t.same(fourth, compileRuleset(structuredClone(s.state), 4));
  t.notOk(fourth.chains.some((c) => c.name.includes('cali00000000002')), 'the gone endpoint has no chains');
  t.notOk(fourth.ipSets.some((x) => x.members.includes('198.18.3.1')), 'set b is no longer used');
});

t.test('compileRuleset: an endpoint mutated in place misses the memo', async (t) => {
  const s = state();
  const before = compileRuleset(s.state, 4);
  const ep = s.endpoints.get('cali00000000001')!;
  ep.ingressPolicies = ['default.b'];
  const after = compileRuleset(s.state, 4);
  t.same(after, compileRuleset(structuredClone(s.state), 4));
  t.not(JSON.stringify(after), JSON.stringify(before));
});
