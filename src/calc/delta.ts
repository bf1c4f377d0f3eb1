// What changed in a node's desired state between two flushes, so later stages rewrite only that.
import type { DesiredState, IpSetMembers, LocalEndpoint, RuleSet } from '../../compiler/desired-state.js';
import type { IpSetMemberDelta } from './ipset-members.js';

export type { IpSetMemberDelta } from './ipset-members.js';

export interface DesiredStateDelta {
  /** Local endpoints added or changed, by interface name, with their new record. */
  endpointsChanged: ReadonlyMap<string, LocalEndpoint>;
  endpointsRemoved: ReadonlySet<string>;
  /** Policies newly in use or whose rules changed, with their rules. */
  policiesChanged: ReadonlyMap<string, RuleSet>;
  policiesRemoved: ReadonlySet<string>;
  profilesChanged: ReadonlyMap<string, RuleSet>;
  profilesRemoved: ReadonlySet<string>;
  /** IP sets that did not exist at the previous flush, with all their members. */
  ipSetsCreated: ReadonlyMap<string, IpSetMembers>;
  /** IP sets that existed at the previous flush and are no longer used. */
  ipSetsDeleted: ReadonlySet<string>;
  /** Member changes of IP sets that existed at the previous flush and still exist. */
  ipSetMembers: ReadonlyMap<string, IpSetMemberDelta>;
}

export function isEmptyDelta(d: DesiredStateDelta): boolean {
  return (
    d.endpointsChanged.size === 0 && d.endpointsRemoved.size === 0 &&
    d.policiesChanged.size === 0 && d.policiesRemoved.size === 0 &&
    d.profilesChanged.size === 0 && d.profilesRemoved.size === 0 &&
    d.ipSetsCreated.size === 0 && d.ipSetsDeleted.size === 0 && d.ipSetMembers.size === 0
  );
}

/**
 * The state a delta leads to from the state it was computed against, as a new DesiredState
 * (for consumers that keep their own copy). Unchanged entries are shared with `state`; the
 * member sets of changed and created IP sets are copied, so nothing is shared with the delta's
 * live views.
 */
export function applyDelta(state: DesiredState, delta: DesiredStateDelta): DesiredState {
  const endpoints = new Map(state.endpoints);
  for (const k of delta.endpointsRemoved) endpoints.delete(k);
  for (const [k, v] of delta.endpointsChanged) endpoints.set(k, v);
  const policies = new Map(state.policies);
  for (const k of delta.policiesRemoved) policies.delete(k);
  for (const [k, v] of delta.policiesChanged) policies.set(k, v);
  const profiles = new Map(state.profiles);
  for (const k of delta.profilesRemoved) profiles.delete(k);
  for (const [k, v] of delta.profilesChanged) profiles.set(k, v);

  const ipSets = new Map<string, IpSetMembers>();
  for (const [id, s] of state.ipSets) {
    if (delta.ipSetsDeleted.has(id)) continue;
    const d = delta.ipSetMembers.get(id);
    if (d === undefined) {
      ipSets.set(id, s);
      continue;
    }
    const v4 = new Set(s.v4);
    const v6 = new Set(s.v6);
    for (const a of d.removedV4) v4.delete(a);
    for (const a of d.addedV4) v4.add(a);
    for (const a of d.removedV6) v6.delete(a);
    for (const a of d.addedV6) v6.add(a);
    ipSets.set(id, { selector: s.selector, v4, v6 });
  }
  for (const [id, s] of delta.ipSetsCreated) ipSets.set(id, { selector: s.selector, v4: new Set(s.v4), v6: new Set(s.v6) });
  return { endpoints, policies, profiles, ipSets };
}
