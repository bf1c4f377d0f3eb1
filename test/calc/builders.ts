// Builders for calc tests: datastore updates in a line each, and a plain, sorted form of a
// DesiredState for deep comparison with readable diffs.
import type { DesiredState } from '../../compiler/desired-state.js';
import type { DatastoreUpdate, Labels, PolicyData, PolicyType, Rule } from '../../src/model/types.js';

export interface EndpointSpec {
  labels?: Labels;
  profiles?: string[];
  v4?: string[];
  v6?: string[];
  state?: string;
  iface?: string;
  mac?: string;
  orchestrator?: string;
  workload?: string;
}

export function wep(node: string, name: string, spec: EndpointSpec = {}): DatastoreUpdate {
  return {
    kind: 'workloadEndpoint',
    id: { node, orchestrator: spec.orchestrator ?? 'k8s', workload: spec.workload ?? `wl-${name}`, name },
    value: {
      state: spec.state ?? 'active',
      interfaceName: spec.iface ?? `cali${name}`,
      ...(spec.mac !== undefined ? { mac: spec.mac } : {}),
      profileIds: spec.profiles ?? [],
      ipv4Nets: spec.v4 ?? [],
      ipv6Nets: spec.v6 ?? [],
      labels: spec.labels ?? {},
    },
  };
}

export function wepDeleted(node: string, name: string, spec: { orchestrator?: string; workload?: string } = {}): DatastoreUpdate {
  return {
    kind: 'workloadEndpoint',
    id: { node, orchestrator: spec.orchestrator ?? 'k8s', workload: spec.workload ?? `wl-${name}`, name },
  };
}

export function hep(node: string, name: string, spec: { labels?: Labels; profiles?: string[]; v4?: string[]; v6?: string[] }): DatastoreUpdate {
  return {
    kind: 'hostEndpoint',
    id: { node, name },
    value: {
      interfaceName: 'eth0',
      expectedIpv4Addrs: spec.v4 ?? [],
      expectedIpv6Addrs: spec.v6 ?? [],
      profileIds: spec.profiles ?? [],
      labels: spec.labels ?? {},
    },
  };
}

export interface PolicySpec {
  selector?: string;
  order?: number;
  inbound?: Rule[];
  outbound?: Rule[];
  types?: PolicyType[];
  doNotTrack?: boolean;
  preDNAT?: boolean;
  tier?: string;
}

export function policy(name: string, spec: PolicySpec = {}): DatastoreUpdate {
  const value: PolicyData = {
    selector: spec.selector ?? '',
    inbound: spec.inbound ?? [],
    outbound: spec.outbound ?? [],
  };
  if (spec.order !== undefined) value.order = spec.order;
  if (spec.types !== undefined) value.types = spec.types;
  if (spec.doNotTrack) value.doNotTrack = true;
  if (spec.preDNAT) value.preDNAT = true;
  return { kind: 'policy', tier: spec.tier ?? 'default', name, value };
}

export const policyDeleted = (name: string): DatastoreUpdate => ({ kind: 'policy', tier: 'default', name });

export const profileRules = (profile: string, inbound: Rule[] = [], outbound: Rule[] = []): DatastoreUpdate => ({
  kind: 'profileRules', profile, value: { inbound, outbound },
});
export const profileTags = (profile: string, tags?: string[]): DatastoreUpdate =>
  tags === undefined ? { kind: 'profileTags', profile } : { kind: 'profileTags', profile, value: tags };
export const profileLabels = (profile: string, labels?: Labels): DatastoreUpdate =>
  labels === undefined ? { kind: 'profileLabels', profile } : { kind: 'profileLabels', profile, value: labels };

/** A profile as `profile add X` creates it, with extra labels if given. */
export function fullProfile(name: string, opts: { tags?: string[]; labels?: Labels; inbound?: Rule[]; outbound?: Rule[] } = {}): DatastoreUpdate[] {
  return [
    profileRules(name, opts.inbound ?? [{ action: 'allow', source: { tag: name } }], opts.outbound ?? [{ action: 'allow' }]),
    profileTags(name, opts.tags ?? [name]),
    profileLabels(name, opts.labels ?? {}),
  ];
}

/** mulberry32: a small seedable PRNG, so a failing random sequence reproduces from its seed. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let x = a;
    x = Math.imul(x ^ (x >>> 15), x | 1);
    x ^= x + Math.imul(x ^ (x >>> 7), x | 61);
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
  };
}

const sortedEntries = <V, W>(m: ReadonlyMap<string, V>, f: (v: V) => W): [string, W][] =>
  [...m.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([k, v]) => [k, f(v)]);

/** Maps as sorted entry lists, sets as sorted arrays, through JSON (so absent and undefined agree). */
export function plain(state: DesiredState): unknown {
  return JSON.parse(JSON.stringify({
    endpoints: sortedEntries(state.endpoints, (e) => e),
    policies: sortedEntries(state.policies, (r) => r),
    profiles: sortedEntries(state.profiles, (r) => r),
    ipSets: sortedEntries(state.ipSets, (s) => ({ selector: s.selector, v4: [...s.v4].sort(), v6: [...s.v6].sort() })),
  }));
}
