// Small builders for compiler tests: resolved rules and desired states by hand.
import type { DesiredState, IpSetMembers, LocalEndpoint, ResolvedRule, RuleSet } from '../../compiler/desired-state.js';

export function rule(o: Partial<ResolvedRule> & { action: ResolvedRule['action'] }): ResolvedRule {
  return {
    srcNets: [],
    dstNets: [],
    notSrcNets: [],
    notDstNets: [],
    srcPorts: [],
    dstPorts: [],
    notSrcPorts: [],
    notDstPorts: [],
    srcIpSetIds: [],
    dstIpSetIds: [],
    notSrcIpSetIds: [],
    notDstIpSetIds: [],
    ...o,
  };
}

export function endpoint(iface: string, o: Partial<LocalEndpoint> = {}): LocalEndpoint {
  return {
    id: `node1/k8s/w-${iface}/eth0`,
    interfaceName: iface,
    active: true,
    ipv4Nets: [],
    ipv6Nets: [],
    ingressPolicies: [],
    egressPolicies: [],
    profileIds: [],
    ...o,
  };
}

export function state(o: {
  endpoints?: LocalEndpoint[];
  policies?: Record<string, RuleSet>;
  profiles?: Record<string, RuleSet>;
  ipSets?: Record<string, Partial<IpSetMembers>>;
}): DesiredState {
  return {
    endpoints: new Map((o.endpoints ?? []).map((e) => [e.interfaceName, e])),
    policies: new Map(Object.entries(o.policies ?? {})),
    profiles: new Map(Object.entries(o.profiles ?? {})),
    ipSets: new Map(
      Object.entries(o.ipSets ?? {}).map(([id, m]) => [id, { selector: m.selector ?? 'all()', v4: m.v4 ?? new Set(), v6: m.v6 ?? new Set() }]),
    ),
  };
}
