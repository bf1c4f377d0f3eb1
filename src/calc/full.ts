// The desired state computed from scratch, with no index: every policy against every local
// endpoint, every IP set against every endpoint. Simple enough to be obviously right; the
// reference the incremental graph is tested against and the naive benchmark's baseline.
import type {
  DatastoreKey,
  DatastoreUpdate,
  HostEndpointData,
  Labels,
  PolicyData,
  ProfileRulesData,
  WorkloadEndpointData,
  WorkloadEndpointId,
} from '../model/types.js';
import type { Selector } from '../selector/types.js';
import type { DesiredState, IpSetMembers, LocalEndpoint, RuleSet } from '../../compiler/desired-state.js';
import { parseSelector } from '../selector/index.js';
import { DEFAULT_TIER, formatDatastoreKey } from '../model/storage-keys.js';
import { hostAddresses, workloadAddresses } from './addresses.js';
import { hostEndpointKey, printableEndpointId, workloadEndpointKey } from './endpoint-keys.js';
import { CalcInputError, type InvalidValue } from './errors.js';
import { updatesFromKVs, type RawKV } from './ingest.js';
import type { EndpointAddresses } from './ipset-members.js';
import { effectiveLabels, type ProfileLabelSource } from './labels.js';
import { buildLocalEndpoint } from './local-endpoint.js';
import { preparePolicy, sortedPolicyNames, type PreparedPolicy } from './policy.js';
import { prepareRules, type SelectorParser } from './rules.js';

export interface FullComputationOptions {
  /** Selector parser (default: src/selector's parseSelector). */
  parseSelector?: SelectorParser;
  /**
   * Told about each policy or profile whose selectors do not parse; like the graph, the
   * computation treats it as absent.
   */
  onInvalid?: (invalid: InvalidValue) => void;
}

interface Contents {
  profileRules: Map<string, ProfileRulesData>;
  profileLabels: Map<string, Labels>;
  profileTags: Map<string, string[]>;
  policies: Map<string, PolicyData>;
  workloads: Map<string, { id: WorkloadEndpointId; data: WorkloadEndpointData }>;
  hosts: Map<string, HostEndpointData>;
}

/** The datastore contents after the updates, in order (a later update replaces an earlier one). */
function fold(updates: Iterable<DatastoreUpdate>): Contents {
  const c: Contents = {
    profileRules: new Map(), profileLabels: new Map(), profileTags: new Map(),
    policies: new Map(), workloads: new Map(), hosts: new Map(),
  };
  const put = <V>(m: Map<string, V>, k: string, v: V | undefined): void => {
    if (v === undefined) m.delete(k);
    else m.set(k, v);
  };
  for (const u of updates) {
    switch (u.kind) {
      case 'profileRules': put(c.profileRules, u.profile, u.value); break;
      case 'profileLabels': put(c.profileLabels, u.profile, u.value); break;
      case 'profileTags': put(c.profileTags, u.profile, u.value); break;
      case 'policy': if (u.tier === DEFAULT_TIER) put(c.policies, u.name, u.value); break;
      case 'workloadEndpoint':
        put(c.workloads, workloadEndpointKey(u.id), u.value && { id: u.id, data: u.value });
        break;
      case 'hostEndpoint': put(c.hosts, hostEndpointKey(u.id), u.value); break;
    }
  }
  return c;
}

/** Runs `prepare`; a CalcInputError is reported and yields undefined (the record counts as absent). */
function prepared<T>(key: DatastoreKey, prepare: () => T, options: FullComputationOptions): T | undefined {
  try {
    return prepare();
  } catch (err) {
    if (!(err instanceof CalcInputError)) throw err;
    options.onInvalid?.({ key: formatDatastoreKey(key), error: err.message });
    return undefined;
  }
}

/**
 * The desired state of `node` after the updates (in order; a later update of a key replaces an
 * earlier one), computed from scratch. Same semantics as CalcGraph, no index.
 */
export function computeDesiredState(
  node: string,
  updates: Iterable<DatastoreUpdate>,
  options: FullComputationOptions = {},
): DesiredState {
  const parse = options.parseSelector ?? parseSelector;
  const c = fold(updates);

  const lookup = (p: string): ProfileLabelSource | undefined => {
    const labels = c.profileLabels.get(p);
    const tags = c.profileTags.get(p);
    if (labels === undefined && tags === undefined) return undefined;
    return { labels, tags };
  };

  // Every endpoint with its effective labels and addresses.
  const all: { labels: Labels; addrs: EndpointAddresses }[] = [];
  for (const { data } of c.workloads.values()) {
    all.push({ labels: effectiveLabels(data.labels, data.profileIds, lookup), addrs: workloadAddresses(data) });
  }
  for (const data of c.hosts.values()) {
    all.push({ labels: effectiveLabels(data.labels, data.profileIds, lookup), addrs: hostAddresses(data) });
  }

  const policies: PreparedPolicy[] = [];
  for (const [name, data] of c.policies) {
    const key = { kind: 'policy', tier: DEFAULT_TIER, name } as const;
    const p = prepared(key, () => preparePolicy(name, data, parse), options);
    if (p !== undefined && p.appliesToWorkloads) policies.push(p);
  }

  // Local endpoints: the policies that select each, its profiles.
  const usedPolicies = new Map<string, PreparedPolicy>();
  const usedProfiles = new Set<string>();
  const byIface = new Map<string, { key: string; ep: LocalEndpoint }>();
  for (const [key, { id, data }] of c.workloads) {
    if (id.node !== node) continue;
    const labels = effectiveLabels(data.labels, data.profileIds, lookup);
    const selecting = policies.filter((p) => p.selector.matches(labels));
    for (const p of selecting) usedPolicies.set(p.name, p);
    for (const p of data.profileIds) usedProfiles.add(p);
    const sorted = sortedPolicyNames(selecting);
    const ep = buildLocalEndpoint(printableEndpointId(id), data, sorted.ingress, sorted.egress);
    const other = byIface.get(data.interfaceName);
    if (other === undefined || key < other.key) byIface.set(data.interfaceName, { key, ep });
  }

  // Rules in use, and the IP sets they need.
  const ipSelectors = new Map<string, Selector>();
  const policyRules = new Map<string, RuleSet>();
  for (const [name, p] of usedPolicies) {
    policyRules.set(name, p.rules.ruleSet);
    for (const [id, s] of p.rules.ipSets) ipSelectors.set(id, s);
  }
  const usedProfileRules = new Map<string, RuleSet>();
  for (const name of usedProfiles) {
    const data = c.profileRules.get(name);
    if (data === undefined) continue; // missing profile: the compiler renders deny
    const key = { kind: 'profileRules', profile: name } as const;
    const rules = prepared(key, () => prepareRules(`profile ${JSON.stringify(name)}`, data.inbound, data.outbound, parse), options);
    if (rules === undefined) continue; // rules that do not resolve: a missing profile, as in the graph
    usedProfileRules.set(name, rules.ruleSet);
    for (const [id, s] of rules.ipSets) ipSelectors.set(id, s);
  }

  const ipSets = new Map<string, IpSetMembers>();
  for (const [id, sel] of ipSelectors) {
    const v4 = new Set<string>();
    const v6 = new Set<string>();
    for (const e of all) {
      if (!sel.matches(e.labels)) continue;
      for (const a of e.addrs.v4) v4.add(a);
      for (const a of e.addrs.v6) v6.add(a);
    }
    ipSets.set(id, { selector: sel.toString(), v4, v6 });
  }

  const endpoints = new Map<string, LocalEndpoint>();
  for (const [iface, { ep }] of byIface) endpoints.set(iface, ep);
  return { endpoints, policies: policyRules, profiles: usedProfileRules, ipSets };
}

/**
 * The desired state of `node` from a full listing of the datastore, computed from scratch (for
 * `tabby compile` and as the naive baseline). Values that fail validation are treated as absent
 * and listed, as the graph does.
 */
export function desiredStateFromKVs(
  node: string,
  pairs: Iterable<RawKV>,
  options: Omit<FullComputationOptions, 'onInvalid'> = {},
): { state: DesiredState; invalid: InvalidValue[]; ignored: string[] } {
  const ingest = updatesFromKVs(pairs);
  const invalid: InvalidValue[] = [...ingest.invalid];
  const state = computeDesiredState(node, ingest.updates, {
    ...options,
    onInvalid: (i) => invalid.push(i),
  });
  return { state, invalid, ignored: ingest.ignored };
}
