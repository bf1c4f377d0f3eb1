// Policy semantics that do not depend on any index: which directions a policy takes part in,
// whether it applies to workload endpoints at all, and the order policies are walked in.
import type { PolicyData } from '../model/types.js';
import type { Selector } from '../selector/types.js';
import { CalcInputError } from './errors.js';
import { prepareRules, type PreparedRules, type SelectorParser } from './rules.js';

/** A policy parsed and resolved once per datastore update. */
export interface PreparedPolicy {
  name: string;
  order?: number;
  selector: Selector;
  ingress: boolean;
  egress: boolean;
  /**
   * doNotTrack and preDNAT policies belong to host endpoints' raw/nat chains (as in Felix);
   * they never take part in a workload endpoint's filter chains.
   */
  appliesToWorkloads: boolean;
  rules: PreparedRules;
}

/**
 * DESIGN.md section 3: `types` when given; otherwise egress only for a policy with egress rules
 * and no ingress rules, both for one with both, ingress for anything else.
 */
export function policyDirections(p: PolicyData): { ingress: boolean; egress: boolean } {
  if (p.types && p.types.length > 0) {
    return { ingress: p.types.includes('ingress'), egress: p.types.includes('egress') };
  }
  const hasIn = p.inbound.length > 0;
  const hasOut = p.outbound.length > 0;
  if (hasOut && !hasIn) return { ingress: false, egress: true };
  if (hasOut && hasIn) return { ingress: true, egress: true };
  return { ingress: true, egress: false };
}

/** By order, a policy without one after every ordered policy; ties by name. */
export function comparePolicies(a: { name: string; order?: number }, b: { name: string; order?: number }): number {
  if (a.order !== b.order) {
    if (a.order === undefined) return 1;
    if (b.order === undefined) return -1;
    return a.order < b.order ? -1 : 1;
  }
  return a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
}

export function preparePolicy(name: string, data: PolicyData, parse: SelectorParser): PreparedPolicy {
  const text = data.selector === '' ? 'all()' : data.selector;
  let selector: Selector;
  try {
    selector = parse(text);
  } catch (err) {
    const why = err instanceof Error ? err.message : String(err);
    throw new CalcInputError(`policy ${JSON.stringify(name)} selector ${JSON.stringify(data.selector)} is not a valid selector: ${why}`);
  }
  const dirs = policyDirections(data);
  const prepared: PreparedPolicy = {
    name,
    selector,
    ingress: dirs.ingress,
    egress: dirs.egress,
    appliesToWorkloads: !data.doNotTrack && !data.preDNAT,
    rules: prepareRules(`policy ${JSON.stringify(name)}`, data.inbound, data.outbound, parse),
  };
  if (data.order !== undefined) prepared.order = data.order;
  return prepared;
}

/** Sorted ingress and egress policy names for one endpoint from the policies that select it. */
export function sortedPolicyNames(selecting: Iterable<PreparedPolicy>): { ingress: string[]; egress: string[] } {
  const sorted = [...selecting].sort(comparePolicies);
  const ingress: string[] = [];
  const egress: string[] = [];
  for (const p of sorted) {
    if (p.ingress) ingress.push(p.name);
    if (p.egress) egress.push(p.name);
  }
  return { ingress, egress };
}
