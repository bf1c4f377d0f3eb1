import t from 'tap';
import { resolveCompilerConfig } from '../../compiler/config.js';
import { CompileError } from '../../compiler/errors.js';
import { renderChain } from '../../compiler/iptables/chain.js';
import { splitPortList, parsePort } from '../../compiler/iptables/ports.js';
import { renderPolicyRule } from '../../compiler/render/rule-renderer.js';
import type { ResolvedRule } from '../../compiler/desired-state.js';
import { rule } from './state-builder.js';
import { simulate, type Packet } from './simulate.js';

const cfg = resolveCompilerConfig();

/** Rule bodies (without the hash comment) of one rendered rule, v4 unless said. */
function bodies(r: ResolvedRule, ipVersion: 4 | 6 = 4, config = cfg): string[] {
  const { rules } = renderPolicyRule(r, ipVersion, config, 'test');
  return renderChain({ name: 'cali-pi-test', rules }).rules.map((x) => x.spec.replace(/^-m comment --comment "cali:[A-Za-z0-9_-]{16}" /, ''));
}

function profileBodies(r: ResolvedRule): string[] {
  const { rules } = renderPolicyRule(r, 4, cfg, 'test', 'profile');
  return renderChain({ name: 'cali-pri-test', rules }).rules.map((x) => x.spec.replace(/^-m comment --comment "cali:[A-Za-z0-9_-]{16}" /, ''));
}

t.test('actions', async (t) => {
  t.same(bodies(rule({ action: 'allow' })), ['-j MARK --set-mark 0x10000/0x10000', '-m mark --mark 0x10000/0x10000 -j RETURN']);
  t.same(bodies(rule({ action: 'pass' })), ['-j MARK --set-mark 0x20000/0x20000', '-m mark --mark 0x20000/0x20000 -j RETURN']);
  // In a profile the pass mark may already be set on entry, so a pass must not test it: it just ends the profile.
  t.same(profileBodies(rule({ action: 'pass', protocol: 'udp' })), ['-p udp -j RETURN'], 'a pass in a profile is a plain RETURN');
  t.same(profileBodies(rule({ action: 'pass', srcNets: ['10.0.0.0/8', '11.0.0.0/8'] })), [
    '-j MARK --set-mark 0x0/0xc0000',
    '-s 10.0.0.0/8 -j MARK --set-mark 0x40000/0x40000',
    '-s 11.0.0.0/8 -j MARK --set-mark 0x40000/0x40000',
    '-m mark --mark 0x40000/0x40000 -j RETURN',
  ]);
  t.same(profileBodies(rule({ action: 'allow' })), bodies(rule({ action: 'allow' })), 'other actions render the same in profiles');
  t.same(bodies(rule({ action: 'deny', protocol: 'udp' })), ['-p udp -j DROP']);
  t.same(bodies(rule({ action: 'log', protocol: 'tcp' })), ['-p tcp -j LOG --log-prefix "calico-packet: " --log-level 5']);
  t.throws(() => bodies(rule({ action: 'reject' as never })), CompileError);
});

t.test('configurable marks and log prefix', async (t) => {
  const c = resolveCompilerConfig({ markAccept: 0x100, markPass: 0x200, markScratch0: 0x400, markScratch1: 0x800, logPrefix: 'tabby' });
  t.same(bodies(rule({ action: 'allow' }), 4, c), ['-j MARK --set-mark 0x100/0x100', '-m mark --mark 0x100/0x100 -j RETURN']);
  t.same(bodies(rule({ action: 'log' }), 4, c), ['-j LOG --log-prefix "tabby: " --log-level 5']);
  t.same(bodies(rule({ action: 'allow', srcNets: ['10.0.0.0/8', '11.0.0.0/8'] }), 4, c)[0], '-j MARK --set-mark 0x0/0xc00');
  t.throws(() => resolveCompilerConfig({ markAccept: 0x3 }), CompileError, 'a mark must be one bit');
  t.throws(() => resolveCompilerConfig({ markPass: 0x10000 }), CompileError, 'marks must differ');
  t.throws(() => resolveCompilerConfig({ logPrefix: 'a" -j ACCEPT' }), CompileError);
});

t.test('ports: ranges take two of 15 multiport slots', async (t) => {
  const p = (xs: (number | string)[]) => xs.map((x, i) => parsePort(x, `p[${i}]`));
  t.equal(splitPortList(p([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15])).length, 1, '15 single ports fit');
  t.same(splitPortList(p([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16])).map((s) => s.length), [15, 1]);
  t.same(splitPortList(p(['1:2', '3:4', '5:6', '7:8', '9:10', '11:12', '13:14', 15])).map((s) => s.length), [8], '7 ranges + 1 port = 15 slots');
  t.same(splitPortList(p(['1:2', '3:4', '5:6', '7:8', '9:10', '11:12', '13:14', '15:16'])).map((s) => s.length), [7, 1], 'an 8th range does not fit');
  t.same(splitPortList(p([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, '20:30'])).map((s) => s.length), [14, 1], 'a range never straddles');
  t.same(splitPortList([]), []);
  t.throws(() => parsePort(70000, 'x'), CompileError);
  t.throws(() => parsePort('9:8', 'x'), CompileError);
  t.throws(() => parsePort('80 -j ACCEPT', 'x'), CompileError);

  t.same(bodies(rule({ action: 'deny', protocol: 'tcp', dstPorts: [80, 443, '8000:8080'] })), [
    '-p tcp -m multiport --destination-ports 80,443,8000:8080 -j DROP',
  ]);
  const many = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, '100:200'];
  t.same(bodies(rule({ action: 'deny', protocol: 'tcp', dstPorts: many })), [
    '-j MARK --set-mark 0x0/0xc0000',
    '-p tcp -m multiport --destination-ports 1,2,3,4,5,6,7,8,9,10,11,12,13,14,15 -j MARK --set-mark 0x40000/0x40000',
    '-p tcp -m multiport --destination-ports 100:200 -j MARK --set-mark 0x40000/0x40000',
    '-p tcp -m mark --mark 0x40000/0x40000 -j DROP',
  ]);
  t.same(bodies(rule({ action: 'deny', protocol: 'udp', notDstPorts: many })), [
    '-p udp -m multiport ! --destination-ports 1,2,3,4,5,6,7,8,9,10,11,12,13,14,15 -m multiport ! --destination-ports 100:200 -j DROP',
  ], 'negated port splits are ANDed in one rule');
  t.throws(() => bodies(rule({ action: 'allow', dstPorts: [80] })), /must be tcp, udp, sctp or udplite/);
  t.throws(() => bodies(rule({ action: 'allow', protocol: 'icmp', dstPorts: [80] })), CompileError);
});

t.test('CIDRs: one inline, several ORed through the scratch bits', async (t) => {
  t.same(bodies(rule({ action: 'deny', srcNets: ['10.0.0.0/8'], notDstNets: ['10.1.0.0/16'] })), ['-s 10.0.0.0/8 ! -d 10.1.0.0/16 -j DROP']);
  t.same(bodies(rule({ action: 'deny', srcNets: ['10.0.0.0/8', '192.168.0.0/16'] })), [
    '-j MARK --set-mark 0x0/0xc0000',
    '-s 10.0.0.0/8 -j MARK --set-mark 0x40000/0x40000',
    '-s 192.168.0.0/16 -j MARK --set-mark 0x40000/0x40000',
    '-m mark --mark 0x40000/0x40000 -j DROP',
  ]);
  t.same(bodies(rule({ action: 'deny', srcNets: ['10.0.0.0/8'], notSrcNets: ['10.1.0.0/16'] })), [
    '-j MARK --set-mark 0x40000/0xc0000',
    '-s 10.1.0.0/16 -j MARK --set-mark 0/0x40000',
    '-s 10.0.0.0/8 -m mark --mark 0x40000/0x40000 -j DROP',
  ], 'a positive and a negated source CIDR: the negation becomes a block');
  t.same(bodies(rule({ action: 'deny', srcNets: ['10.0.0.0/8', '11.0.0.0/8'], dstNets: ['12.0.0.0/8', '13.0.0.0/8'] })), [
    '-j MARK --set-mark 0x0/0xc0000',
    '-s 10.0.0.0/8 -j MARK --set-mark 0x40000/0x40000',
    '-s 11.0.0.0/8 -j MARK --set-mark 0x40000/0x40000',
    '-d 12.0.0.0/8 -j MARK --set-mark 0x80000/0x80000',
    '-d 13.0.0.0/8 -j MARK --set-mark 0x80000/0x80000',
    '-m mark --mark 0/0x80000 -j MARK --set-mark 0/0x40000',
    '-m mark --mark 0x40000/0x40000 -j DROP',
  ], 'a second positive block is ANDed in through the second scratch bit');
  t.same(bodies(rule({ action: 'deny', srcNets: ['10.1.2.3/8'] })), ['-s 10.0.0.0/8 -j DROP'], 'CIDRs are printed canonically');
  t.throws(() => bodies(rule({ action: 'deny', srcNets: ['10.0.0.0/8 -j ACCEPT'] })), CompileError);
});

t.test('negations, IP sets, protocols', async (t) => {
  t.same(bodies(rule({ action: 'allow', notProtocol: 'udp', srcIpSetIds: ['s:abc'], notDstIpSetIds: ['s:def'] })), [
    '-m set --match-set cali40s:abc src ! -p udp -m set ! --match-set cali40s:def dst -j MARK --set-mark 0x10000/0x10000',
    '-m mark --mark 0x10000/0x10000 -j RETURN',
  ]);
  t.same(bodies(rule({ action: 'deny', protocol: 132 })), ['-p 132 -j DROP']);
  t.same(bodies(rule({ action: 'deny', protocol: 'SCTP' })), ['-p sctp -j DROP']);
  t.same(bodies(rule({ action: 'deny', srcIpSetIds: ['s:abc'] }), 6), ['-m set --match-set cali60s:abc src -j DROP']);
  t.throws(() => bodies(rule({ action: 'deny', protocol: 'tcp -j ACCEPT' })), CompileError);
  t.throws(() => bodies(rule({ action: 'deny', srcIpSetIds: ['s:x y'] })), CompileError);
});

t.test('ICMP type and code', async (t) => {
  t.same(bodies(rule({ action: 'deny', protocol: 'icmp', icmpType: 8 })), ['-p icmp -m icmp --icmp-type 8 -j DROP']);
  t.same(bodies(rule({ action: 'deny', protocol: 'icmp', icmpType: 3, icmpCode: 1 })), ['-p icmp -m icmp --icmp-type 3/1 -j DROP']);
  t.same(bodies(rule({ action: 'deny', protocol: 'icmp', notIcmpType: 8, notIcmpCode: 0 })), ['-p icmp -m icmp ! --icmp-type 8/0 -j DROP']);
  t.same(bodies(rule({ action: 'deny', protocol: 'icmpv6', icmpType: 128 }), 6), ['-p icmpv6 -m icmp6 --icmpv6-type 128 -j DROP']);
  t.same(bodies(rule({ action: 'deny', protocol: 'icmpv6', notIcmpType: 128, notIcmpCode: 0 }), 6), ['-p icmpv6 -m icmp6 ! --icmpv6-type 128/0 -j DROP']);
  t.same(bodies(rule({ action: 'deny', icmpType: 8 })), ['-p icmp -m icmp --icmp-type 8 -j DROP'], 'a type implies the family ICMP protocol');
  t.same(bodies(rule({ action: 'deny', notIcmpType: 8 })), [
    '-j MARK --set-mark 0x40000/0xc0000',
    '-p icmp -m icmp --icmp-type 8 -j MARK --set-mark 0/0x40000',
    '-m mark --mark 0x40000/0x40000 -j DROP',
  ], 'notICMP without a protocol holds for every non-ICMP packet');
  t.same(bodies(rule({ action: 'deny', protocol: 'tcp', notIcmpType: 8 })), ['-p tcp -j DROP'], 'notICMP on TCP always holds');
  t.same(bodies(rule({ action: 'deny', protocol: 'tcp', icmpType: 8 })), [], 'ICMP type on TCP never matches');
  t.throws(() => bodies(rule({ action: 'deny', protocol: 'icmp', icmpCode: 1 })), /needs an ICMP type/);
  t.throws(() => bodies(rule({ action: 'deny', protocol: 'icmp', icmpType: 256 })), CompileError);
  // iptables reads ICMP type 255 as "any type" (iptables-save prints `--icmp-type any`, and an echo
  // request hits the rule), so a rule for type 255 would match every ICMP packet. Calico allows 0-254.
  t.throws(() => bodies(rule({ action: 'allow', protocol: 'icmp', icmpType: 255 })), /icmpType: 255 must be an integer from 0 to 254/);
  t.throws(() => bodies(rule({ action: 'deny', protocol: 'icmp', notIcmpType: 255, notIcmpCode: 0 })), /notIcmpType: 255 must be/);
  t.throws(() => bodies(rule({ action: 'allow', protocol: 'icmpv6', icmpType: 255 }), 6), /icmpType: 255/, 'the same range for ICMPv6, as Calico');
  t.same(bodies(rule({ action: 'deny', protocol: 'icmp', icmpType: 254, icmpCode: 255 })), ['-p icmp -m icmp --icmp-type 254/255 -j DROP'], 'type 254 and code 255 are fine');
});

t.test('IP version filtering', async (t) => {
  t.same(bodies(rule({ action: 'deny', ipVersion: 6 }), 4), [], 'an IPv6 rule is not rendered for IPv4');
  t.same(bodies(rule({ action: 'deny', ipVersion: 6 }), 6), ['-j DROP']);
  t.same(bodies(rule({ action: 'deny', srcNets: ['fd00::/8'] }), 4), [], 'only IPv6 nets: skipped for IPv4');
  t.same(bodies(rule({ action: 'deny', srcNets: ['fd00::/8'] }), 6), ['-s fd00::/8 -j DROP']);
  t.same(bodies(rule({ action: 'deny', srcNets: ['10.0.0.0/8', 'fd00::/8'] }), 4), ['-s 10.0.0.0/8 -j DROP'], 'mixed nets keep the family');
  t.same(bodies(rule({ action: 'deny', srcNets: ['10.0.0.0/8', 'fd00::/8'] }), 6), ['-s fd00::/8 -j DROP']);
  t.same(bodies(rule({ action: 'deny', notDstNets: ['fd00::/8'] }), 4), [], 'negated nets of the other family also skip the rule (as Felix)');
  t.same(bodies(rule({ action: 'allow', protocol: 'icmp' }), 6), [], 'ICMPv4 is not rendered for IPv6');
  t.same(bodies(rule({ action: 'allow', protocol: 'icmpv6' }), 4), [], 'ICMPv6 is not rendered for IPv4');
  t.same(bodies(rule({ action: 'deny', srcNets: ['fd00:0:0::1/128'] }), 6), ['-s fd00::1/128 -j DROP']);
});

// ------------------------------------------------------------- semantics by simulation

/** What the model says: does the rule match the packet (IPv4 only)? */
function modelMatches(r: ResolvedRule, p: Packet, sets: Record<string, string[]>): boolean {
  const inAny = (addr: string, nets: string[]) => nets.some((n) => simulateNet(addr, n));
  const portIn = (port: number | undefined, ports: (number | string)[]) =>
    port !== undefined && ports.some((x) => {
      const [a, b] = String(x).split(':').map(Number);
      return b === undefined ? port === a : port >= a! && port <= b;
    });
  const proto = r.protocol === undefined ? undefined : ({ tcp: 6, udp: 17 } as Record<string, number>)[String(r.protocol)];
  if (proto !== undefined && p.proto !== proto) return false;
  if (r.srcNets.length && !inAny(p.src, r.srcNets)) return false;
  if (r.dstNets.length && !inAny(p.dst, r.dstNets)) return false;
  if (inAny(p.src, r.notSrcNets) || inAny(p.dst, r.notDstNets)) return false;
  if (r.srcPorts.length && !portIn(p.sport, r.srcPorts)) return false;
  if (r.dstPorts.length && !portIn(p.dport, r.dstPorts)) return false;
  if (portIn(p.sport, r.notSrcPorts) || portIn(p.dport, r.notDstPorts)) return false;
  for (const id of r.srcIpSetIds) if (!inAny(p.src, sets[`cali40${id}`]!)) return false;
  for (const id of r.notSrcIpSetIds) if (inAny(p.src, sets[`cali40${id}`]!)) return false;
  return true;
}
const simulateNet = (addr: string, net: string): boolean => simulate(['-s ' + net + ' -j DROP'], { src: addr, dst: addr, proto: 6 }).verdict === 'drop';

function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

t.test('blocks OR CIDRs and ports exactly as the model says (random rules and packets)', async (t) => {
  const rnd = lcg(42);
  const pick = <T>(xs: T[]): T => xs[Math.floor(rnd() * xs.length)]!;
  const nets = ['10.0.0.0/8', '10.1.0.0/16', '10.1.2.0/24', '192.168.0.0/16', '192.168.1.1/32', '172.16.0.0/12'];
  const addrs = ['10.1.2.3', '10.1.9.9', '10.9.9.9', '192.168.1.1', '192.168.2.2', '172.16.5.5', '8.8.8.8'];
  const some = <T>(xs: T[], max: number): T[] => {
    const n = Math.floor(rnd() * (max + 1));
    return Array.from({ length: n }, () => pick(xs));
  };
  const portList = (): (number | string)[] =>
    some([0, 1, 2], 20).map(() => {
      const a = 1 + Math.floor(rnd() * 40);
      return rnd() < 0.3 ? `${a}:${a + Math.floor(rnd() * 5)}` : a;
    });
  const sets = { 'cali40s:a': ['10.1.0.0/16'], 'cali40s:b': ['192.168.0.0/16', '172.16.5.5/32'] };
  let checked = 0;
  let matched = 0;
  for (let n = 0; n < 400; n++) {
    const hasPorts = rnd() < 0.7;
    const r = rule({
      action: 'allow',
      protocol: hasPorts ? pick(['tcp', 'udp']) : undefined,
      srcNets: some(nets, 3),
      dstNets: some(nets, 3),
      notSrcNets: some(nets, 2),
      notDstNets: some(nets, 2),
      srcPorts: hasPorts ? portList() : [],
      dstPorts: hasPorts ? portList() : [],
      notSrcPorts: hasPorts && rnd() < 0.3 ? portList() : [],
      notDstPorts: hasPorts && rnd() < 0.3 ? portList() : [],
      srcIpSetIds: rnd() < 0.2 ? ['s:a'] : [],
      notSrcIpSetIds: rnd() < 0.2 ? ['s:b'] : [],
    });
    const specs = renderChain({ name: 'cali-pi-x', rules: renderPolicyRule(r, 4, cfg, 'r').rules }).rules.map((x) => x.spec);
    for (let k = 0; k < 25; k++) {
      const pkt: Packet = { src: pick(addrs), dst: pick(addrs), proto: pick([6, 17]), sport: 1 + Math.floor(rnd() * 45), dport: 1 + Math.floor(rnd() * 45) };
      const want = modelMatches(r, pkt, sets);
      // Stale scratch bits from an earlier rule must not matter.
      const got = simulate(specs, pkt, sets, pick([0, 0x40000, 0x80000, 0xc0000]));
      const ok = want ? got.verdict === 'return' && (got.mark & 0x10000) !== 0 : got.verdict === 'fallthrough' && (got.mark & 0x10000) === 0;
      if (!ok) {
        t.fail(`rule ${JSON.stringify(r)} packet ${JSON.stringify(pkt)}: model ${want}, rules ${JSON.stringify(got)}\n${specs.join('\n')}`);
        return;
      }
      checked++;
      if (want) matched++;
    }
  }
  t.ok(matched > 200, `enough matching cases (${matched} of ${checked})`);
  t.pass(`${checked} rule/packet pairs agree`);
});

t.test('three positive blocks AND correctly (scratch bit reset between blocks)', async (t) => {
  const many = Array.from({ length: 16 }, (_, i) => i + 1);
  const r = rule({ action: 'allow', protocol: 'tcp', srcPorts: many, dstPorts: many, srcNets: ['10.0.0.0/8', '11.0.0.0/8'] });
  const specs = renderChain({ name: 'cali-pi-x', rules: renderPolicyRule(r, 4, cfg, 'r').rules }).rules.map((x) => x.spec);
  // dst port matches, src port matches, src net does not.
  t.equal(simulate(specs, { src: '12.0.0.1', dst: '1.1.1.1', proto: 6, sport: 16, dport: 16 }).verdict, 'fallthrough');
  // src port does not match, dport and net match.
  t.equal(simulate(specs, { src: '10.0.0.1', dst: '1.1.1.1', proto: 6, sport: 30, dport: 16 }).verdict, 'fallthrough');
  t.equal(simulate(specs, { src: '10.0.0.1', dst: '1.1.1.1', proto: 6, sport: 16, dport: 1 }).verdict, 'return');
});
