// One policy/profile rule to iptables rules (Felix's ProtoRuleToIptablesRules).
//
// iptables can hold one source and one destination CIDR per rule and 15
// multiport slots per match, while a Calico rule ORs lists of CIDRs and ports.
// When a rule overflows, it is broken into blocks that compute the match in
// two scratch mark bits before the rule that acts:
//   reset the scratch bits
//   positive blocks (source ports, dest ports, source CIDRs, dest CIDRs):
//       the first writes AllBlocks directly; later ones write ThisBlock and
//       then clear AllBlocks if ThisBlock stayed clear (AND of ORs)
//   negative blocks (source notNets, dest notNets, notICMP without protocol):
//       clear AllBlocks if any entry matches
//   the rest of the match + "AllBlocks is set", then the action.
import type { Port, Protocol } from '../../src/model/types.js';
import { parseCidr } from '../../src/model/net.js';
import type { ResolvedRule } from '../desired-state.js';
import type { CompilerConfig } from '../config.js';
import { CompileError } from '../errors.js';
import { ClearMark, Drop, Log, Return, SetMark, SetMaskedMark, type Action } from '../iptables/actions.js';
import { rule, type Rule } from '../iptables/chain.js';
import { match, MatchCriteria, protocolHasPorts, protocolNumber } from '../iptables/match.js';
import { parsePort, splitPortList, type PortRange } from '../iptables/ports.js';
import { ipSetName } from '../names.js';

export interface RenderedPolicyRule {
  rules: Rule[];
  /** IP set ids the rules match on. */
  ipSetIds: string[];
}

const ICMP = 1;
const ICMPV6 = 58;

type Side = 'src' | 'dst';

/** Keeps the CIDRs of this family; `all` is true when a non-empty list had none. */
function filterNets(nets: readonly string[], ipVersion: 4 | 6, field: string): { nets: string[]; filteredAll: boolean } {
  if (nets.length === 0) return { nets: [], filteredAll: false };
  const kept: string[] = [];
  nets.forEach((n, i) => {
    const c = parseCidr(n, { allowBareAddress: true });
    if (!c) throw new CompileError(`${field}[${i}]`, n, 'is not a CIDR');
    if (c.version === ipVersion) kept.push(n);
  });
  return { nets: kept, filteredAll: kept.length === 0 };
}

const ports = (list: readonly Port[] | undefined, field: string): PortRange[] => (list ?? []).map((p, i) => parsePort(p, `${field}[${i}]`));

class MatchBlockBuilder {
  usingBlocks = false;
  private donePositive = false;
  private usedThisBlock = false;
  readonly rules: Rule[] = [];

  constructor(
    private readonly allBlocks: number,
    private readonly thisBlock: number,
  ) {}

  private start(initial: number): void {
    if (this.usingBlocks) return;
    this.rules.push(rule(match(), new SetMaskedMark(initial, (this.allBlocks | this.thisBlock) >>> 0)));
    this.usingBlocks = true;
  }

  /** An OR of the given matches, ANDed with the blocks before it. */
  positive(entries: MatchCriteria[]): void {
    this.start(0);
    // ThisBlock starts clear; a third positive block must clear what the second left there.
    if (this.usedThisBlock) this.rules.push(rule(match(), new ClearMark(this.thisBlock)));
    const bit = this.donePositive ? this.thisBlock : this.allBlocks;
    if (this.donePositive) this.usedThisBlock = true;
    for (const m of entries) this.rules.push(rule(m, new SetMark(bit)));
    if (this.donePositive) this.rules.push(rule(match().markClear(this.thisBlock), new ClearMark(this.allBlocks)));
    this.donePositive = true;
  }

  /** None of the given matches may match. */
  negative(entries: MatchCriteria[]): void {
    this.start(this.allBlocks);
    for (const m of entries) this.rules.push(rule(m, new ClearMark(this.allBlocks)));
  }
}

function withPorts(m: MatchCriteria, side: Side, split: PortRange[], negate = false): MatchCriteria {
  if (side === 'src') return negate ? m.notSourcePorts(split) : m.sourcePorts(split);
  return negate ? m.notDestPorts(split) : m.destPorts(split);
}

const withNet = (m: MatchCriteria, side: Side, cidr: string): MatchCriteria => (side === 'src' ? m.sourceNet(cidr) : m.destNet(cidr));

function withIcmp(m: MatchCriteria, ipVersion: 4 | 6, type: number, code: number | undefined, negate: boolean): MatchCriteria {
  if (ipVersion === 4) return negate ? m.notIcmpType(type, code) : m.icmpType(type, code);
  return negate ? m.notIcmpV6Type(type, code) : m.icmpV6Type(type, code);
}

/** Whose chain a rule is rendered into: pass means something different in each. */
export type RuleOwner = 'policy' | 'profile';

/**
 * Renders one rule for one IP version; an empty result means the rule cannot
 * match in this family (its ipVersion, nets or ICMP protocol are of the other).
 *
 * pass: in a policy it sets the pass mark and returns, and the endpoint chain
 * skips the remaining policies. In a profile it only ends that profile: the
 * profile walk never reads the pass mark, and the mark may already be set on
 * entry (a policy or an earlier profile passed the packet), so a "return if
 * the pass mark is set" there would end the profile at its first pass rule
 * whether or not that rule matched. A profile's pass is a plain RETURN.
 */
export function renderPolicyRule(
  r: ResolvedRule,
  ipVersion: 4 | 6,
  config: Readonly<CompilerConfig>,
  field: string,
  owner: RuleOwner = 'policy',
): RenderedPolicyRule {
  const none: RenderedPolicyRule = { rules: [], ipSetIds: [] };
  if (r.ipVersion !== undefined && r.ipVersion !== 4 && r.ipVersion !== 6) throw new CompileError(`${field}.ipVersion`, r.ipVersion, 'must be 4 or 6');
  if (r.ipVersion !== undefined && r.ipVersion !== ipVersion) return none;

  const src = filterNets(r.srcNets, ipVersion, `${field}.srcNets`);
  const notSrc = filterNets(r.notSrcNets, ipVersion, `${field}.notSrcNets`);
  const dst = filterNets(r.dstNets, ipVersion, `${field}.dstNets`);
  const notDst = filterNets(r.notDstNets, ipVersion, `${field}.notDstNets`);
  if (src.filteredAll || notSrc.filteredAll || dst.filteredAll || notDst.filteredAll) return none;

  // Protocol and ICMP: ICMP of the other family never matches here.
  const familyIcmp = ipVersion === 4 ? ICMP : ICMPV6;
  const otherIcmp = ipVersion === 4 ? ICMPV6 : ICMP;
  let protocol: Protocol | undefined = r.protocol;
  const protoNum = protocol === undefined ? undefined : protocolNumber(protocol, `${field}.protocol`);
  const notProtoNum = r.notProtocol === undefined ? undefined : protocolNumber(r.notProtocol, `${field}.notProtocol`);
  if (protoNum === otherIcmp) return none;
  // Checked here too so the error names the rule (the match builder checks again).
  for (const k of ['icmpType', 'notIcmpType'] as const) {
    const v = r[k];
    if (v !== undefined && (!Number.isInteger(v) || v < 0 || v > 254)) {
      throw new CompileError(`${field}.${k}`, v, 'must be an integer from 0 to 254 (iptables reads 255 as any type)');
    }
  }
  if (r.icmpCode !== undefined && r.icmpType === undefined) throw new CompileError(`${field}.icmpCode`, r.icmpCode, 'needs an ICMP type');
  if (r.notIcmpCode !== undefined && r.notIcmpType === undefined) throw new CompileError(`${field}.notIcmpCode`, r.notIcmpCode, 'needs an ICMP type');
  if (r.icmpType !== undefined) {
    if (protoNum === undefined) protocol = familyIcmp === ICMP ? 'icmp' : 'icmpv6';
    else if (protoNum !== familyIcmp) return none; // an ICMP type on a non-ICMP protocol never matches
  }
  const effectiveProto = protocol === undefined ? undefined : protocolNumber(protocol);
  // iptables takes one -p per rule: with a positive protocol the negated one
  // either contradicts it (never matches) or is implied.
  if (effectiveProto !== undefined && notProtoNum === effectiveProto) return none;
  const notProtocol = effectiveProto === undefined ? r.notProtocol : undefined;

  const srcPorts = ports(r.srcPorts, `${field}.srcPorts`);
  const dstPorts = ports(r.dstPorts, `${field}.dstPorts`);
  const notSrcPorts = ports(r.notSrcPorts, `${field}.notSrcPorts`);
  const notDstPorts = ports(r.notDstPorts, `${field}.notDstPorts`);
  if (srcPorts.length + dstPorts.length + notSrcPorts.length + notDstPorts.length > 0) {
    if (protocol === undefined || !protocolHasPorts(protocol)) {
      throw new CompileError(`${field}.protocol`, protocol ?? null, 'must be tcp, udp, sctp or udplite when the rule has ports');
    }
  }

  const ipSetIds = [...r.srcIpSetIds, ...r.dstIpSetIds, ...r.notSrcIpSetIds, ...r.notDstIpSetIds];
  const setName = (id: string): string => ipSetName(ipVersion, id);
  const protoMatch = (): MatchCriteria => (protocol === undefined ? match() : match().protocol(protocol));

  const blocks = new MatchBlockBuilder(config.markScratch0, config.markScratch1);
  let srcNets = src.nets;
  let dstNets = dst.nets;
  let notSrcNets = notSrc.nets;
  let notDstNets = notDst.nets;
  let mainSrcPorts = srcPorts;
  let mainDstPorts = dstPorts;

  const srcSplits = splitPortList(srcPorts);
  if (srcSplits.length > 1) {
    blocks.positive(srcSplits.map((s) => withPorts(protoMatch(), 'src', s)));
    mainSrcPorts = [];
  }
  const dstSplits = splitPortList(dstPorts);
  if (dstSplits.length > 1) {
    blocks.positive(dstSplits.map((s) => withPorts(protoMatch(), 'dst', s)));
    mainDstPorts = [];
  }
  if (srcNets.length > 1) {
    blocks.positive(srcNets.map((n) => withNet(match(), 'src', n)));
    srcNets = [];
  }
  if (dstNets.length > 1) {
    blocks.positive(dstNets.map((n) => withNet(match(), 'dst', n)));
    dstNets = [];
  }
  // One CIDR per side fits the main rule; a second (positive or negated) needs a block.
  if (srcNets.length + notSrcNets.length > 1) {
    blocks.negative(notSrcNets.map((n) => withNet(match(), 'src', n)));
    notSrcNets = [];
  }
  if (dstNets.length + notDstNets.length > 1) {
    blocks.negative(notDstNets.map((n) => withNet(match(), 'dst', n)));
    notDstNets = [];
  }
  // notICMP on a rule without a protocol: "not (ICMP of this type)" holds for
  // every non-ICMP packet, so it becomes a negative block on the ICMP match.
  let notIcmpInMain = false;
  if (r.notIcmpType !== undefined) {
    if (effectiveProto === familyIcmp) notIcmpInMain = true;
    else if (effectiveProto === undefined) {
      const icmpProto = familyIcmp === ICMP ? 'icmp' : 'icmpv6';
      blocks.negative([withIcmp(match().protocol(icmpProto), ipVersion, r.notIcmpType, r.notIcmpCode, false)]);
    }
    // Any other protocol: the packet is never ICMP, so notICMP always holds.
  }

  // The main rule: positive matches, then negated ones.
  let m = protoMatch();
  if (srcNets.length === 1) m = m.sourceNet(srcNets[0]!);
  for (const id of r.srcIpSetIds) m = m.sourceIpSet(setName(id));
  if (mainSrcPorts.length > 0) m = m.sourcePorts(mainSrcPorts);
  if (dstNets.length === 1) m = m.destNet(dstNets[0]!);
  for (const id of r.dstIpSetIds) m = m.destIpSet(setName(id));
  if (mainDstPorts.length > 0) m = m.destPorts(mainDstPorts);
  if (r.icmpType !== undefined) m = withIcmp(m, ipVersion, r.icmpType, r.icmpCode, false);
  if (notProtocol !== undefined) m = m.notProtocol(notProtocol);
  if (notSrcNets.length === 1) m = m.notSourceNet(notSrcNets[0]!);
  for (const id of r.notSrcIpSetIds) m = m.notSourceIpSet(setName(id));
  for (const split of splitPortList(notSrcPorts)) m = withPorts(m, 'src', split, true);
  if (notDstNets.length === 1) m = m.notDestNet(notDstNets[0]!);
  for (const id of r.notDstIpSetIds) m = m.notDestIpSet(setName(id));
  for (const split of splitPortList(notDstPorts)) m = withPorts(m, 'dst', split, true);
  if (notIcmpInMain) m = withIcmp(m, ipVersion, r.notIcmpType!, r.notIcmpCode, true);
  if (blocks.usingBlocks) m = m.markSingleBitSet(config.markScratch0);

  const out = [...blocks.rules];
  const act = (markBit: number | undefined, actions: Action[]): void => {
    let final = m;
    if (markBit !== undefined) {
      out.push(rule(m, new SetMark(markBit)));
      final = match().markSingleBitSet(markBit);
    }
    for (const a of actions) out.push(rule(final, a));
  };
  switch (r.action) {
    case 'allow':
      act(config.markAccept, [new Return()]);
      break;
    case 'pass':
      act(owner === 'policy' ? config.markPass : undefined, [new Return()]);
      break;
    case 'deny':
      act(undefined, [new Drop()]);
      break;
    case 'log':
      act(undefined, [new Log(config.logPrefix)]);
      break;
    default:
      throw new CompileError(`${field}.action`, (r as { action: unknown }).action, 'must be allow, deny, log or pass');
  }
  return { rules: out, ipSetIds };
}
