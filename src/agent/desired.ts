// What one node's kernel should hold, per address family, read from the
// datastore and compiled: the shared first half of `tabby diff` and
// `tabby agent --once`. Reads the datastore and the kernel; writes nothing.
//
// Which families are handled:
// - IPv4 always.
// - IPv6 when a local endpoint has an IPv6 address; otherwise only to remove
//   what Tabby left there before (its cali-* chains, hooks, cali6 IP sets,
//   routes and neighbours), by applying the empty ruleset.
// - When the datastore holds no Calico data at all, Tabby has nothing to
//   enforce and removes everything it made (both families). A datastore that
//   holds data but no endpoint of this node keeps the static chains, so an
//   unknown cali interface still fails closed.
import { compileRuleset } from '../../compiler/compile.js';
import type { CompilerConfig } from '../../compiler/config.js';
import type { DesiredState, LocalEndpoint } from '../../compiler/desired-state.js';
import type { Ruleset } from '../../compiler/ruleset.js';
import type { Dataplane, DataplanePlan } from '../../dataplane/dataplane.js';
import type { PlumbingState } from '../../dataplane/plumbing.js';
import type { KernelChain, KernelState } from '../../dataplane/types.js';
import { HOOK_CHAINS, isOwnedChain } from '../../dataplane/types.js';
import { readDesiredState } from './datastore-snapshot.js';
import type { KVStore } from '../datastore/kv.js';
import { CALICO_PREFIX } from '../model/storage.js';

export type IpVersion = 4 | 6;

/** Why a family is handled: it has endpoints to police, or only Tabby's leftovers to remove. */
export type FamilyReason = 'enforce' | 'cleanup';

export interface FamilyTarget {
  ipVersion: IpVersion;
  reason: FamilyReason;
  ruleset: Ruleset;
  dataplane: Dataplane;
  /** The kernel's state when the target was resolved. */
  current: KernelState;
  /** What an apply would write from `current` (validated: building it checked the ruleset). */
  plan: DataplanePlan;
}

export interface NodeTarget {
  node: string;
  /** Datastore revision the desired state was computed at. */
  revision: number;
  /** Datastore values that did not decode and were left out. */
  invalid: { key: string; error: string }[];
  /** True when the datastore holds no Calico data: everything Tabby made goes. */
  uninstall: boolean;
  /** This node's endpoints, for routes and neighbours ([] when uninstalling). */
  endpoints: LocalEndpoint[];
  families: FamilyTarget[];
}

export interface TargetOptions {
  store: KVStore;
  node: string;
  /** Makes the dataplane of one family (called at most once per family). */
  dataplaneFor(ipVersion: IpVersion): Dataplane;
  compilerConfig?: Partial<CompilerConfig>;
  /**
   * Plan against a host that has none of Tabby's rules instead of reading the
   * kernel: the dry run of a user who may not read iptables (not root).
   */
  assumeFreshKernel?: boolean;
}

/** A host's filter table before Tabby: the built-in chains, empty, and no IP sets. */
export function freshKernelState(ipVersion: IpVersion): KernelState {
  const chains = new Map<string, KernelChain>(HOOK_CHAINS.map((name) => [name, { name, policy: 'ACCEPT', rules: [] }]));
  return { ipVersion, filter: { chains }, ipSets: new Map() };
}

/** A ruleset with nothing in it: applying it removes every cali-* chain, hook and IP set. */
export const emptyRuleset = (ipVersion: IpVersion): Ruleset => ({ ipVersion, chains: [], hooks: [], ipSets: [] });

/** True when some local endpoint has an IPv6 address. */
export const wantsIpv6 = (state: DesiredState): boolean =>
  [...state.endpoints.values()].some((ep) => ep.ipv6Nets.length > 0);

/** True when the kernel holds anything of Tabby's for this family. */
export function hasTabbyState(kernel: KernelState, plumbing: PlumbingState): boolean {
  for (const chain of kernel.filter.chains.values()) {
    if (isOwnedChain(chain.name)) return true;
    if ((HOOK_CHAINS as readonly string[]).includes(chain.name) && chain.rules.some((r) => r.hash !== null)) return true;
  }
  return kernel.ipSets.size > 0 || plumbing.routes.length > 0 || plumbing.neighbours.length > 0;
}

async function datastoreIsEmpty(store: KVStore): Promise<boolean> {
  return (await store.list(CALICO_PREFIX)).items.length === 0;
}

/**
 * Reads the datastore, computes and compiles this node's rulesets and reads
 * the kernel of every family that needs handling. Throws (having written
 * nothing) when the datastore, the compiler, the kernel tools or the
 * dataplane's validation object.
 */
export async function resolveNodeTarget(options: TargetOptions): Promise<NodeTarget> {
  const { store, node } = options;
  const snapshot = await readDesiredState(store, node);
  const { state } = snapshot;
  const uninstall = state.endpoints.size === 0 && (await datastoreIsEmpty(store));

  const dataplanes = new Map<IpVersion, Dataplane>();
  const dataplaneFor = (ipVersion: IpVersion): Dataplane => {
    let dp = dataplanes.get(ipVersion);
    if (!dp) dataplanes.set(ipVersion, (dp = options.dataplaneFor(ipVersion)));
    return dp;
  };
  const families: FamilyTarget[] = [];
  const add = async (ipVersion: IpVersion, reason: FamilyReason, current?: KernelState): Promise<void> => {
    const dataplane = dataplaneFor(ipVersion);
    const ruleset = uninstall || reason === 'cleanup' ? emptyRuleset(ipVersion) : compileRuleset(state, ipVersion, options.compilerConfig);
    const kernel = current ?? (options.assumeFreshKernel ? freshKernelState(ipVersion) : await dataplane.readState());
    families.push({ ipVersion, reason, ruleset, dataplane, current: kernel, plan: dataplane.plan(ruleset, kernel) });
  };

  await add(4, uninstall ? 'cleanup' : 'enforce');
  if (!uninstall && wantsIpv6(state)) {
    await add(6, 'enforce');
  } else if (!options.assumeFreshKernel) {
    // Only Tabby's own leftovers bring IPv6 in; a host without ip6tables has none.
    const v6 = dataplaneFor(6);
    const present = await v6.backend().then(() => true, () => false);
    if (present) {
      const [kernel, plumbing] = await Promise.all([v6.readState(), v6.readPlumbing()]);
      if (hasTabbyState(kernel, plumbing)) await add(6, 'cleanup', kernel);
    }
  }

  return {
    node,
    revision: snapshot.revision,
    invalid: snapshot.invalid,
    uninstall,
    endpoints: uninstall ? [] : [...state.endpoints.values()],
    families,
  };
}
