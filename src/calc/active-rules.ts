// Active rules (Felix's active rules calculator and policy resolver): which policies select
// each local workload endpoint, which policies and profiles are therefore in use on this node,
// and the LocalEndpoint records the compiler renders.
//
// Matching is incremental (a SelectorIndex of policy selectors over local endpoints); the
// consequences are settled lazily: endpoints, policies and profiles touched since the last
// settle() are marked dirty and recomputed once, so a batch of updates costs one sort per
// endpoint and a policy that stops and restarts matching in one batch never churns its sets.
import { isDeepStrictEqual } from 'node:util';
import type { Labels, WorkloadEndpointData } from '../model/types.js';
import type { LocalEndpoint, RuleSet } from '../../compiler/desired-state.js';
import { buildLocalEndpoint, interfaceWinner, sameLocalEndpoint, sameStrings } from './local-endpoint.js';
import { sortedPolicyNames, type PreparedPolicy } from './policy.js';
import type { PreparedRules } from './rules.js';
import type { RuleScanner } from './rule-scanner.js';
import { SelectorIndex } from './selector-index.js';
import { TrackedMap } from './tracked-map.js';

interface LocalEndpointState {
  id: string;
  data: WorkloadEndpointData;
  /** Names of the policies (that apply to workloads) whose selector matches the endpoint. */
  policies: Set<string>;
  output?: LocalEndpoint;
}

const policyOwner = (name: string): string => `policy:${name}`;
const profileOwner = (name: string): string => `profile:${name}`;

export class ActiveRules {
  private readonly policyIndex = new SelectorIndex({
    onMatchStarted: (policy, ep) => {
      this.endpoints.get(ep)!.policies.add(policy);
      this.dirtyEndpoints.add(ep);
      this.dirtyPolicies.add(policy);
    },
    onMatchStopped: (policy, ep) => {
      this.endpoints.get(ep)?.policies.delete(policy);
      this.dirtyEndpoints.add(ep);
      this.dirtyPolicies.add(policy);
    },
  });
  private readonly policies = new Map<string, PreparedPolicy>();
  private readonly profileRules = new Map<string, PreparedRules>();
  private readonly endpoints = new Map<string, LocalEndpointState>();
  /** profile -> local endpoints listing it */
  private readonly profileUsers = new Map<string, Set<string>>();
  private readonly endpointsByIface = new Map<string, Set<string>>();

  private readonly dirtyEndpoints = new Set<string>();
  private readonly dirtyIfaces = new Set<string>();
  private readonly dirtyPolicies = new Set<string>();
  private readonly dirtyProfiles = new Set<string>();

  readonly endpointsOut = new TrackedMap<LocalEndpoint>(sameLocalEndpoint);
  readonly policiesOut = new TrackedMap<RuleSet>(isDeepStrictEqual);
  readonly profilesOut = new TrackedMap<RuleSet>(isDeepStrictEqual);

  constructor(private readonly scanner: RuleScanner) {}

  // ------------------------------------------------------------------ local endpoints

  hasEndpoint(key: string): boolean {
    return this.endpoints.has(key);
  }

  /** A local workload endpoint's record; its labels follow through updateEndpointLabels. */
  updateEndpoint(key: string, id: string, data: WorkloadEndpointData): void {
    const old = this.endpoints.get(key);
    if (old === undefined) {
      this.endpoints.set(key, { id, data, policies: new Set() });
      this.addToIface(key, data.interfaceName);
      this.addProfileUses(key, data.profileIds, []);
    } else {
      if (old.data.interfaceName !== data.interfaceName) {
        this.removeFromIface(key, old.data.interfaceName);
        this.addToIface(key, data.interfaceName);
      }
      this.addProfileUses(key, data.profileIds, old.data.profileIds);
      this.removeProfileUses(key, old.data.profileIds, data.profileIds);
      old.data = data;
    }
    this.dirtyEndpoints.add(key);
  }

  updateEndpointLabels(key: string, labels: Labels | undefined): void {
    if (!this.endpoints.has(key)) return;
    if (labels === undefined) this.policyIndex.removeItem(key);
    else this.policyIndex.updateItem(key, labels);
  }

  removeEndpoint(key: string): void {
    const state = this.endpoints.get(key);
    if (state === undefined) return;
    this.policyIndex.removeItem(key);
    this.removeFromIface(key, state.data.interfaceName);
    this.removeProfileUses(key, state.data.profileIds, []);
    this.endpoints.delete(key);
    this.dirtyEndpoints.delete(key);
  }

  // ------------------------------------------------------------------ policies and profiles

  updatePolicy(name: string, policy: PreparedPolicy | undefined): void {
    const old = this.policies.get(name);
    if (policy === undefined) this.policies.delete(name);
    else this.policies.set(name, policy);
    if (policy !== undefined && policy.appliesToWorkloads) this.policyIndex.updateSelector(name, policy.selector);
    else this.policyIndex.removeSelector(name);
    if (old !== undefined && policy !== undefined &&
        (old.order !== policy.order || old.ingress !== policy.ingress || old.egress !== policy.egress)) {
      // Same endpoints, different place or direction in their lists.
      for (const ep of this.policyIndex.matchesOf(name) ?? []) this.dirtyEndpoints.add(ep);
    }
    this.dirtyPolicies.add(name);
  }

  updateProfileRules(name: string, rules: PreparedRules | undefined): void {
    if (rules === undefined) this.profileRules.delete(name);
    else this.profileRules.set(name, rules);
    this.dirtyProfiles.add(name);
  }

  // ------------------------------------------------------------------ settle

  /** Brings the outputs (and, through the rule scanner, the active IP sets) up to date. */
  settle(): void {
    for (const name of this.dirtyPolicies) {
      const p = this.policies.get(name);
      const inUse = p !== undefined && p.appliesToWorkloads && (this.policyIndex.matchesOf(name)?.size ?? 0) > 0;
      this.setActive(this.policiesOut, policyOwner(name), name, inUse ? p.rules : undefined);
    }
    this.dirtyPolicies.clear();

    for (const name of this.dirtyProfiles) {
      const rules = this.profileRules.get(name);
      const inUse = rules !== undefined && (this.profileUsers.get(name)?.size ?? 0) > 0;
      this.setActive(this.profilesOut, profileOwner(name), name, inUse ? rules : undefined);
    }
    this.dirtyProfiles.clear();

    for (const key of this.dirtyEndpoints) {
      const state = this.endpoints.get(key);
      if (state === undefined) continue;
      const selecting: PreparedPolicy[] = [];
      for (const n of state.policies) selecting.push(this.policies.get(n)!);
      const sorted = sortedPolicyNames(selecting);
      const prev = state.output;
      const next = buildLocalEndpoint(
        state.id,
        state.data,
        prev && sameStrings(prev.ingressPolicies, sorted.ingress) ? prev.ingressPolicies : sorted.ingress,
        prev && sameStrings(prev.egressPolicies, sorted.egress) ? prev.egressPolicies : sorted.egress,
      );
      if (prev === undefined || !sameLocalEndpoint(prev, next)) state.output = next;
      this.dirtyIfaces.add(state.data.interfaceName);
    }
    this.dirtyEndpoints.clear();

    for (const iface of this.dirtyIfaces) {
      const keys = this.endpointsByIface.get(iface);
      const winner = keys && interfaceWinner(keys);
      if (winner === undefined) this.endpointsOut.delete(iface);
      else this.endpointsOut.set(iface, this.endpoints.get(winner)!.output!);
    }
    this.dirtyIfaces.clear();
  }

  /** Counts an owner's rules in the scanner and publishes them, or stops both. */
  private setActive(out: TrackedMap<RuleSet>, owner: string, name: string, rules: PreparedRules | undefined): void {
    if (rules === undefined) {
      this.scanner.removeRules(owner);
      out.delete(name);
      return;
    }
    const before = this.scanner.rulesOf(owner);
    this.scanner.setRules(owner, rules);
    // A re-sent value with the same rules keeps the published object: no spurious change.
    if (before === undefined || before.fingerprint !== rules.fingerprint || out.get(name) === undefined) {
      out.set(name, rules.ruleSet);
    }
  }

  private addToIface(key: string, iface: string): void {
    let keys = this.endpointsByIface.get(iface);
    if (keys === undefined) this.endpointsByIface.set(iface, (keys = new Set()));
    keys.add(key);
    this.dirtyIfaces.add(iface);
  }

  private removeFromIface(key: string, iface: string): void {
    const keys = this.endpointsByIface.get(iface);
    if (keys && keys.delete(key) && keys.size === 0) this.endpointsByIface.delete(iface);
    this.dirtyIfaces.add(iface);
  }

  private addProfileUses(key: string, profiles: readonly string[], except: readonly string[]): void {
    for (const p of profiles) {
      if (except.includes(p)) continue;
      let users = this.profileUsers.get(p);
      if (users === undefined) this.profileUsers.set(p, (users = new Set()));
      if (!users.has(key)) {
        users.add(key);
        this.dirtyProfiles.add(p);
      }
    }
  }

  private removeProfileUses(key: string, profiles: readonly string[], except: readonly string[]): void {
    for (const p of profiles) {
      if (except.includes(p)) continue;
      const users = this.profileUsers.get(p);
      if (users && users.delete(key)) {
        if (users.size === 0) this.profileUsers.delete(p);
        this.dirtyProfiles.add(p);
      }
    }
  }
}
