// The compiler's input: everything one node needs, as data, with every
// selector and tag already resolved to an IP set id. Produced by src/calc.
import type { Action, Port, Protocol } from '../src/model/types.js';

/** A rule with its tags and selectors replaced by IP set ids (Felix's ParsedRule). */
export interface ResolvedRule {
  action: Action;
  ipVersion?: 4 | 6;
  protocol?: Protocol;
  notProtocol?: Protocol;
  icmpType?: number;
  icmpCode?: number;
  notIcmpType?: number;
  notIcmpCode?: number;
  /** Positive CIDRs: the packet matches if it is in any of them (empty: any). */
  srcNets: string[];
  dstNets: string[];
  /** Negative CIDRs: the packet must be in none of them. */
  notSrcNets: string[];
  notDstNets: string[];
  srcPorts: Port[];
  dstPorts: Port[];
  notSrcPorts: Port[];
  notDstPorts: Port[];
  /** IP set ids (selector unique ids, "s:..."); the packet must be in all of the positive ones. */
  srcIpSetIds: string[];
  dstIpSetIds: string[];
  /** The packet must be in none of these. */
  notSrcIpSetIds: string[];
  notDstIpSetIds: string[];
}

export interface RuleSet {
  inbound: ResolvedRule[];
  outbound: ResolvedRule[];
}

export interface LocalEndpoint {
  /** Stable printable id, "<node>/<orchestrator>/<workload>/<name>". */
  id: string;
  interfaceName: string;
  /** state == "active"; an inactive endpoint drops everything. */
  active: boolean;
  mac?: string;
  ipv4Nets: string[];
  ipv6Nets: string[];
  /** Names of the policies that select this endpoint, in order, per direction. */
  ingressPolicies: string[];
  egressPolicies: string[];
  /** The endpoint's profiles in order; a name absent from DesiredState.profiles is a missing profile (deny). */
  profileIds: string[];
}

export interface IpSetMembers {
  /** The canonical selector the set is built from. */
  selector: string;
  /** Member CIDRs of IPv4 / IPv6 endpoints (as stored, e.g. "198.18.0.2/32"). */
  v4: ReadonlySet<string>;
  v6: ReadonlySet<string>;
  /**
   * Bumped whenever v4 or v6 changes (the sets are live views). Lets the compiler and the
   * dataplane reuse the work they did for an unchanged set; absent means "always recheck".
   */
  revision?: number;
}

export interface DesiredState {
  /** Local endpoints keyed by interface name. */
  endpoints: ReadonlyMap<string, LocalEndpoint>;
  /** Policies used by at least one local endpoint, by name. */
  policies: ReadonlyMap<string, RuleSet>;
  /** Existing profiles used by at least one local endpoint, by name. */
  profiles: ReadonlyMap<string, RuleSet>;
  /** IP sets used by an active rule, by id ("s:..."). */
  ipSets: ReadonlyMap<string, IpSetMembers>;
}
