// End-to-end semantics: packets walked through a whole compiled ruleset
// (cali-FORWARD / cali-INPUT down to the policy and profile chains) give the
// verdict DESIGN.md section 3 gives: policies in order, pass to the profiles,
// end-of-tier drop, profiles in order, a pass in a profile ends that profile,
// a missing profile denies in its place, log goes on.
import t from 'tap';
import { compileRuleset } from '../../compiler/compile.js';
import type { CompilerConfig } from '../../compiler/config.js';
import type { DesiredState, ResolvedRule } from '../../compiler/desired-state.js';
import type { Ruleset } from '../../compiler/ruleset.js';
import { scenarioState } from './scenarios.js';
import { walk, type Packet, type WalkResult } from './simulate.js';
import { endpoint, rule, state } from './state-builder.js';

function chainsOf(rs: Ruleset): Map<string, string[]> {
  return new Map(rs.chains.map((c) => [c.name, c.rules.map((r) => r.spec)]));
}

function setsOf(rs: Ruleset): Record<string, string[]> {
  return Object.fromEntries(rs.ipSets.map((s) => [s.name, s.members]));
}

function forward(rs: Ruleset, pkt: Packet, initialMark = 0): WalkResult {
  return walk(chainsOf(rs), 'cali-FORWARD', pkt, setsOf(rs), initialMark);
}

t.test('log-pass scenario: a policy pass reaches the profiles, which are evaluated in full', async (t) => {
  const rs = compileRuleset(scenarioState('log-pass'), 4);
  const web = 'cali8c1d2e3f4a5'; // profiles [first, second]; policies audit (pass for trusted), web-allow
  const toWeb = (src: string, proto: number, dport: number): Packet => ({ src, dst: '198.18.0.100', proto, sport: 40000, dport, iif: 'eth0', oif: web });
  const trusted = '198.18.1.100';
  const stranger = '203.0.113.9';

  // audit passes trusted sources to the profiles; profile "first" passes UDP and allows the rest.
  t.equal(forward(rs, toWeb(trusted, 6, 443)).verdict, 'accept', 'trusted TCP: audit passes, profile first allows it');
  const ssh = forward(rs, toWeb(trusted, 6, 22));
  t.equal(ssh.verdict, 'accept', 'trusted SSH: logged, passed, allowed by profile first');
  t.equal(ssh.logged, 1);
  t.equal(forward(rs, toWeb(trusted, 17, 53)).verdict, 'accept', 'trusted UDP: first passes it on, second allows UDP');
  // Strangers are not passed: web-allow or the end of the tier decides.
  t.equal(forward(rs, toWeb(stranger, 6, 80)).verdict, 'accept', 'web-allow allows TCP 80');
  t.equal(forward(rs, toWeb(stranger, 6, 443)).verdict, 'drop', 'no policy decides: end of tier');
  const strangerSsh = forward(rs, toWeb(stranger, 6, 22));
  t.equal(strangerSsh.verdict, 'drop', 'audit denies SSH');
  t.equal(strangerSsh.logged, 1, 'after logging it');
  // Egress: audit logs and passes everything; first passes, second allows.
  const out = forward(rs, { src: '198.18.0.100', dst: stranger, proto: 6, sport: 40000, dport: 443, iif: web, oif: 'eth0' });
  t.equal(out.verdict, 'accept');
  t.equal(out.logged, 1);
});

t.test('a pass in one profile does not cut short the next profile', async (t) => {
  const passUdp = rule({ action: 'pass', protocol: 'udp' });
  const passTcp = rule({ action: 'pass', protocol: 'tcp' });
  const s = state({
    endpoints: [endpoint('cali1', { profileIds: ['A', 'B'] })],
    profiles: {
      A: { inbound: [passUdp], outbound: [] },
      B: { inbound: [passTcp, rule({ action: 'allow' })], outbound: [] },
    },
  });
  const rs = compileRuleset(s, 4);
  const pkt: Packet = { src: '10.0.0.1', dst: '10.0.0.2', proto: 17, sport: 1, dport: 2, iif: 'eth0', oif: 'cali1' };
  t.equal(forward(rs, pkt).verdict, 'accept', 'UDP: A passes it on, B does not pass UDP and allows it');
  t.equal(forward(rs, { ...pkt, proto: 6 }).verdict, 'drop', 'TCP: A has no rule for it, B passes it, nothing allows it');
});

// ------------------------------------------------------------------ random differential test

/** The packets the random rules are about. */
interface Pkt {
  proto: 6 | 17;
  dport: 22 | 80 | 443;
  src: string;
}

function ruleMatches(r: ResolvedRule, p: Pkt): boolean {
  if (r.protocol !== undefined && (r.protocol === 'tcp' ? 6 : 17) !== p.proto) return false;
  if (r.dstPorts.length > 0 && !r.dstPorts.includes(p.dport)) return false;
  if (r.srcNets.length > 0 && !r.srcNets.some((n) => p.src.startsWith(n.split('.')[0]! + '.'))) return false;
  return true;
}

/** DESIGN.md section 3 for one direction of one endpoint. */
function reference(policies: ResolvedRule[][], profiles: (ResolvedRule[] | undefined)[], p: Pkt): { verdict: 'accept' | 'drop'; logged: number } {
  let logged = 0;
  if (policies.length > 0) {
    let passed = false;
    walkPolicies: for (const rules of policies) {
      for (const r of rules) {
        if (!ruleMatches(r, p)) continue;
        if (r.action === 'log') logged++;
        else if (r.action === 'allow') return { verdict: 'accept', logged };
        else if (r.action === 'deny') return { verdict: 'drop', logged };
        else {
          passed = true;
          break walkPolicies;
        }
      }
    }
    if (!passed) return { verdict: 'drop', logged };
  }
  for (const rules of profiles) {
    if (rules === undefined) return { verdict: 'drop', logged };
    for (const r of rules) {
      if (!ruleMatches(r, p)) continue;
      if (r.action === 'log') logged++;
      else if (r.action === 'allow') return { verdict: 'accept', logged };
      else if (r.action === 'deny') return { verdict: 'drop', logged };
      else break;
    }
  }
  return { verdict: 'drop', logged };
}

function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

t.test('random policies and profiles: every packet gets the verdict of DESIGN.md section 3', async (t) => {
  const rnd = lcg(7);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)]!;
  const randomRule = (): ResolvedRule => {
    const protocol = pick([undefined, 'tcp', 'udp'] as const);
    return rule({
      action: pick(['allow', 'deny', 'pass', 'log', 'log'] as const),
      ...(protocol === undefined ? {} : { protocol }),
      dstPorts: protocol !== undefined && rnd() < 0.5 ? [pick([22, 80, 443] as const)] : [],
      srcNets: rnd() < 0.3 ? [pick(['10.0.0.0/8', '11.0.0.0/8'])] : [],
    });
  };
  const randomRules = (): ResolvedRule[] => Array.from({ length: Math.floor(rnd() * 4) }, randomRule);
  const packets: Pkt[] = [];
  for (const proto of [6, 17] as const) for (const dport of [22, 80, 443] as const) for (const src of ['10.1.1.1', '11.1.1.1', '12.1.1.1']) packets.push({ proto, dport, src });

  let cases = 0;
  const verdicts = { accept: 0, drop: 0 };
  for (let n = 0; n < 150; n++) {
    const policies: Record<string, { inbound: ResolvedRule[]; outbound: ResolvedRule[] }> = {};
    const profiles: Record<string, { inbound: ResolvedRule[]; outbound: ResolvedRule[] }> = {};
    for (let i = 0; i < 3; i++) policies[`p${i}`] = { inbound: randomRules(), outbound: randomRules() };
    for (let i = 0; i < 3; i++) profiles[`r${i}`] = { inbound: randomRules(), outbound: randomRules() };
    const some = (prefix: string, max: number, extra: string[] = []): string[] =>
      Array.from({ length: Math.floor(rnd() * (max + 1)) }, () => (rnd() < 0.1 && extra.length ? pick(extra) : `${prefix}${Math.floor(rnd() * 3)}`)).filter(
        (x, i, xs) => xs.indexOf(x) === i,
      );
    const ep = endpoint('cali1', {
      ingressPolicies: some('p', 3),
      egressPolicies: some('p', 3),
      profileIds: some('r', 3, ['missing']),
    });
    const s: DesiredState = state({ endpoints: [ep], policies, profiles });
    const endpointToHostAction = pick(['ACCEPT', 'DROP'] as const);
    const config: Partial<CompilerConfig> = { endpointToHostAction };
    const rs = compileRuleset(s, 4, config);
    const chains = chainsOf(rs);
    const profileRules = (dir: 'inbound' | 'outbound') => ep.profileIds.map((id) => profiles[id]?.[dir]);

    for (const p of packets) {
      // Stale Tabby mark bits on arrival (other software, an earlier pass) must not change anything.
      const initialMark = pick([0, 0x10000, 0x20000, 0x30000, 0xf0000]);
      const ingressWant = reference(ep.ingressPolicies.map((id) => policies[id]!.inbound), profileRules('inbound'), p);
      const egressWant = reference(ep.egressPolicies.map((id) => policies[id]!.outbound), profileRules('outbound'), p);
      // The rules' nets are source nets; the simulated workload's own address does not matter here.
      const base = { proto: p.proto, sport: 40000, dport: p.dport };
      const runs: [string, WalkResult, { verdict: string; logged: number }][] = [
        ['ingress (FORWARD)', walk(chains, 'cali-FORWARD', { ...base, src: p.src, dst: '10.9.9.9', iif: 'eth0', oif: 'cali1' }, {}, initialMark), ingressWant],
        ['egress (FORWARD)', walk(chains, 'cali-FORWARD', { ...base, src: p.src, dst: '10.9.9.9', iif: 'cali1', oif: 'eth0' }, {}, initialMark), egressWant],
        [
          'egress to the host (INPUT)',
          walk(chains, 'cali-INPUT', { ...base, src: p.src, dst: '10.9.9.9', iif: 'cali1' }, {}, initialMark),
          { verdict: egressWant.verdict === 'accept' && endpointToHostAction === 'ACCEPT' ? 'accept' : 'drop', logged: egressWant.logged },
        ],
      ];
      for (const [what, got, want] of runs) {
        cases++;
        if (got.verdict !== want.verdict || got.logged !== want.logged) {
          t.fail(`${what}: packet ${JSON.stringify(p)} mark 0x${initialMark.toString(16)}: rules say ${got.verdict} (logged ${got.logged}), DESIGN says ${want.verdict} (logged ${want.logged})`, {
            endpoint: ep,
            policies,
            profiles,
            trace: got.trace,
          });
          return;
        }
        verdicts[want.verdict as 'accept' | 'drop']++;
      }
    }
  }
  t.ok(verdicts.accept > 500 && verdicts.drop > 500, `both verdicts well covered (${JSON.stringify(verdicts)})`);
  t.pass(`${cases} packet walks agree with the reference`);
});

t.test('an inactive endpoint drops everything, whatever its profiles allow', async (t) => {
  const allow = { inbound: [rule({ action: 'allow' })], outbound: [rule({ action: 'allow' })] };
  const rs = compileRuleset(state({ endpoints: [endpoint('cali1', { active: false, profileIds: ['A'] })], profiles: { A: allow } }), 4, { endpointToHostAction: 'ACCEPT' });
  const base = { src: '10.0.0.1', dst: '10.0.0.2', proto: 6, sport: 1, dport: 2 };
  t.equal(forward(rs, { ...base, iif: 'eth0', oif: 'cali1' }).verdict, 'drop');
  t.equal(forward(rs, { ...base, iif: 'cali1', oif: 'eth0' }).verdict, 'drop');
  t.equal(walk(chainsOf(rs), 'cali-INPUT', { ...base, iif: 'cali1' }).verdict, 'drop');
  t.equal(forward(rs, { ...base, iif: 'cali9', oif: 'eth0' }).verdict, 'drop', 'an unknown workload interface is dropped (fail closed)');
  t.equal(forward(rs, { ...base, iif: 'eth0', oif: 'eth1' }).verdict, 'fallthrough', 'non-workload traffic is not Tabby\'s business');
});

t.test('workload to workload on one host: egress of the sender, then ingress of the receiver', async (t) => {
  const s = state({
    endpoints: [endpoint('cali1', { egressPolicies: ['out'], profileIds: ['A'] }), endpoint('cali2', { profileIds: ['B'] })],
    // The sender's policy passes everything; its profile allows. The receiver's profile passes TCP, then allows UDP.
    policies: { out: { inbound: [], outbound: [rule({ action: 'pass' })] } },
    profiles: {
      A: { inbound: [], outbound: [rule({ action: 'allow' })] },
      B: { inbound: [rule({ action: 'pass', protocol: 'tcp' }), rule({ action: 'allow', protocol: 'udp' })], outbound: [] },
    },
  });
  const rs = compileRuleset(s, 4);
  const pkt: Packet = { src: '10.0.0.1', dst: '10.0.0.2', proto: 17, sport: 1, dport: 2, iif: 'cali1', oif: 'cali2' };
  const udp = forward(rs, pkt);
  t.equal(udp.verdict, 'accept', 'UDP: allowed out by A (after the pass) and in by B, although the pass mark is still set');
  t.same(udp.trace.filter((c) => /^cali-(fw|tw|pi|po|pri|pro)-/.test(c)), ['cali-fw-cali1', 'cali-po-out', 'cali-pro-A', 'cali-tw-cali2', 'cali-pri-B']);
  t.equal(forward(rs, { ...pkt, proto: 6 }).verdict, 'drop', 'TCP: B passes it and no profile is left');
  t.equal(forward(rs, { ...pkt, oif: 'cali3' }).verdict, 'drop', 'to an unknown workload interface: dropped');
});

t.test('many endpoints: dispatch reaches every local endpoint, both ways, and nothing else', async (t) => {
  const st = scenarioState('many-endpoints');
  const rs = compileRuleset(st, 4);
  const chains = chainsOf(rs);
  const ifaces = [...st.endpoints.keys()];
  t.ok(ifaces.length >= 64, `${ifaces.length} local endpoints`);
  for (const iface of ifaces) {
    const base = { src: '10.0.0.1', dst: '10.0.0.2', proto: 6, sport: 1, dport: 2 };
    const out = walk(chains, 'cali-FORWARD', { ...base, iif: iface, oif: 'eth0' }, setsOf(rs));
    const into = walk(chains, 'cali-FORWARD', { ...base, iif: 'eth0', oif: iface }, setsOf(rs));
    if (!out.trace.includes(`cali-fw-${iface}`) || !into.trace.includes(`cali-tw-${iface}`)) {
      t.fail(`${iface} not dispatched: ${out.trace.join(' > ')} / ${into.trace.join(' > ')}`);
      return;
    }
  }
  t.pass(`every one of ${ifaces.length} endpoints is dispatched to its own chains`);
  for (const stranger of ['cali0', 'cali3zzzzzzzzzz', 'calizzz']) {
    const r = walk(chains, 'cali-FORWARD', { src: '10.0.0.1', dst: '10.0.0.2', proto: 6, iif: stranger, oif: 'eth0' }, setsOf(rs));
    t.equal(r.verdict, 'drop', `${stranger}: unknown interface dropped`);
    t.notOk(r.trace.some((c) => c.startsWith('cali-fw-')), `${stranger}: reaches no endpoint chain`);
  }
});
