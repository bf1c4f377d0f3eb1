// compileRuleset: the desired state of one node to everything one address
// family needs in the filter table. Pure: no I/O, same input, same output.
//
// Only chains something refers to are produced: a policy's inbound chain
// when a local endpoint has it among its ingress policies, and so on; IP sets
// only when a rendered rule matches on them. Per-object rendering is memoised
// (policies/profiles by RuleSet object, endpoints by object and content,
// dispatch chains by the set of interfaces, static chains and hooks by family
// and config, IP sets by IpSetMembers object and revision), so recompiling
// after one change re-renders only what changed, and an unchanged chain or
// set is the very same object as in the previous Ruleset (ruleset.ts).
import type { DesiredState, LocalEndpoint } from './desired-state.js';
import type { HookRule, IpSetSpec, RenderedChain, Ruleset } from './ruleset.js';
import { resolveCompilerConfig, type CompilerConfig } from './config.js';
import { CompileError } from './errors.js';
import { referencedChains, renderChain, type Chain } from './iptables/chain.js';
import { ipSetSpec } from './ipsets.js';
import { checkInterfaceName, ipSetName, policyChainName, profileChainName, type Direction } from './names.js';
import { workloadDispatchChains } from './render/dispatch-chains.js';
import { endpointChains } from './render/endpoint-chains.js';
import { renderPolicyChain, type RuleOwnerKind } from './render/policy-chains.js';
import { hookRules, staticChains } from './render/static-chains.js';

export type ResolvedConfig = Readonly<CompilerConfig>;

interface Owner {
  kind: RuleOwnerKind;
  name: string;
  dir: Direction;
}

/** What one endpoint contributes to a compile: its chains and the policy/profile chains it wants. */
interface EndpointRender {
  /** Everything the chains depend on, copied, so a mutated or re-created endpoint misses the memo. */
  interfaceName: string;
  active: boolean;
  ingressPolicies: string[];
  egressPolicies: string[];
  profileIds: string[];
  policiesExist: boolean[];
  profilesExist: boolean[];
  configKey: string;
  rendered: RenderedChain[];
  /** Policy and profile chains the endpoint's chains refer to, by name. */
  wants: [string, Owner][];
  /** Every chain the endpoint's chains jump to, each once with the first chain that does (all must be produced). */
  targets: [target: string, from: string][];
}

const endpointMemo = new WeakMap<LocalEndpoint, EndpointRender>();

function jumpTargets(chains: readonly Chain[]): [string, string][] {
  const out = new Map<string, string>();
  for (const c of chains) for (const t of referencedChains(c)) if (!out.has(t)) out.set(t, c.name);
  return [...out];
}

const sameList = <T>(a: readonly T[], b: readonly T[]): boolean => a.length === b.length && a.every((x, i) => x === b[i]);

function renderEndpoint(ep: LocalEndpoint, state: DesiredState, config: ResolvedConfig, configKey: string): EndpointRender {
  const policies = [...ep.ingressPolicies, ...ep.egressPolicies];
  const policiesExist = policies.map((p) => state.policies.has(p));
  const profilesExist = ep.profileIds.map((p) => state.profiles.has(p));
  const hit = endpointMemo.get(ep);
  if (hit && hit.configKey === configKey && hit.interfaceName === ep.interfaceName && hit.active === ep.active
    && sameList(hit.ingressPolicies, ep.ingressPolicies) && sameList(hit.egressPolicies, ep.egressPolicies)
    && sameList(hit.profileIds, ep.profileIds) && sameList(hit.policiesExist, policiesExist)
    && sameList(hit.profilesExist, profilesExist)) {
    return hit;
  }
  const chains = endpointChains(ep, config, {
    policyExists: (name) => state.policies.has(name),
    profileExists: (name) => state.profiles.has(name),
  });
  const wants: [string, Owner][] = [];
  if (ep.active) {
    for (const [dir, list] of [['inbound', ep.ingressPolicies], ['outbound', ep.egressPolicies]] as const) {
      for (const p of list) if (state.policies.has(p)) wants.push([policyChainName(dir, p), { kind: 'policy', name: p, dir }]);
    }
    for (const dir of ['inbound', 'outbound'] as const) {
      for (const p of ep.profileIds) if (state.profiles.has(p)) wants.push([profileChainName(dir, p), { kind: 'profile', name: p, dir }]);
    }
  }
  const entry: EndpointRender = {
    interfaceName: ep.interfaceName,
    active: ep.active,
    ingressPolicies: [...ep.ingressPolicies],
    egressPolicies: [...ep.egressPolicies],
    profileIds: [...ep.profileIds],
    policiesExist,
    profilesExist,
    configKey,
    rendered: chains.map(renderChain),
    wants,
    targets: ep.active ? jumpTargets(chains) : [],
  };
  endpointMemo.set(ep, entry);
  return entry;
}

/**
 * `names` sorted, re-using the previous result held in `slot` when the names are the same set
 * (the common case after a small change: sorting ~2,500 chain names every compile adds up).
 */
function sortedNames(names: ReadonlySet<string> | ReadonlyMap<string, unknown>, slot: { sorted?: string[] }): string[] {
  const prev = slot.sorted;
  if (prev && prev.length === names.size && prev.every((n) => names.has(n))) return prev;
  slot.sorted = [...names.keys()].sort();
  return slot.sorted;
}

/** Sorted name lists of the previous compile, per family. */
const sortMemo = { 4: { wanted: {}, chains: {}, ipSets: {} }, 6: { wanted: {}, chains: {}, ipSets: {} } } as const satisfies
  Record<4 | 6, Record<'wanted' | 'chains' | 'ipSets', { sorted?: string[] }>>;

/** Dispatch chains of the last compile: they depend only on the set of interface names. */
let dispatchMemo: { key: string; rendered: RenderedChain[] } | undefined;

function renderDispatch(ifaces: string[]): RenderedChain[] {
  // Interface names are checked ([a-zA-Z0-9_.-]) before they get here, so \n cannot occur in one.
  const key = [...ifaces].sort().join('\n');
  if (dispatchMemo?.key !== key) dispatchMemo = { key, rendered: workloadDispatchChains(ifaces).map(renderChain) };
  return dispatchMemo.rendered;
}

/** Static chains and hooks depend only on the family and the config. */
const staticMemo = new Map<string, { chains: RenderedChain[]; hooks: HookRule[] }>();

function renderStatic(ipVersion: 4 | 6, config: ResolvedConfig, configKey: string): { chains: RenderedChain[]; hooks: HookRule[] } {
  const key = `${ipVersion} ${configKey}`;
  let hit = staticMemo.get(key);
  if (!hit) {
    hit = {
      chains: staticChains(ipVersion, config).map(renderChain),
      hooks: hookRules().map(({ chain, rule }) => ({ chain, rule: renderChain({ name: chain, rules: [rule] }).rules[0]! })),
    };
    // A handful of configs per process; bounded anyway.
    if (staticMemo.size >= 16) staticMemo.clear();
    staticMemo.set(key, hit);
  }
  return hit;
}

const configKeys = new WeakMap<object, { config: ResolvedConfig; key: string }>();

function resolve(config: Partial<CompilerConfig> | undefined): { config: ResolvedConfig; key: string } {
  if (config && configKeys.has(config)) return configKeys.get(config)!;
  const resolved = resolveCompilerConfig(config);
  const entry = { config: resolved, key: JSON.stringify(resolved) };
  if (config) configKeys.set(config, entry);
  return entry;
}

/** The chains, hooks and IP sets of one address family for the node described by `state`. */
export function compileRuleset(state: DesiredState, ipVersion: 4 | 6, config?: Partial<CompilerConfig>): Ruleset {
  if (ipVersion !== 4 && ipVersion !== 6) throw new CompileError('ipVersion', ipVersion, 'must be 4 or 6');
  const { config: cfg, key: configKey } = resolve(config);

  const rendered = new Map<string, RenderedChain>();
  const add = (chain: RenderedChain): void => {
    if (rendered.has(chain.name)) throw new CompileError('chain', chain.name, 'is produced twice');
    rendered.set(chain.name, chain);
  };
  const wanted = new Map<string, Owner>();
  const want = (chainName: string, owner: Owner): void => {
    const prev = wanted.get(chainName);
    if (prev && (prev.kind !== owner.kind || prev.name !== owner.name || prev.dir !== owner.dir)) {
      throw new CompileError('chain', chainName, `is the name of both ${prev.kind} ${JSON.stringify(prev.name)} and ${owner.kind} ${JSON.stringify(owner.name)}`);
    }
    wanted.set(chainName, owner);
  };

  // Endpoint chains, and the policy/profile chains they refer to.
  const ifaces: string[] = [];
  for (const [key, ep] of state.endpoints) {
    checkInterfaceName(ep.interfaceName, `endpoints[${JSON.stringify(key)}].interfaceName`);
    if (key !== ep.interfaceName) throw new CompileError(`endpoints[${JSON.stringify(key)}].interfaceName`, ep.interfaceName, 'differs from the key it is stored under');
    ifaces.push(ep.interfaceName);
    const r = renderEndpoint(ep, state, cfg, configKey);
    r.rendered.forEach(add);
    for (const [chainName, owner] of r.wants) want(chainName, owner);
    // Every jump target must be a chain we produce.
    for (const [t, from] of r.targets) if (!wanted.has(t)) throw new CompileError('chain', t, `is referred to by ${from} but not produced`);
  }

  const ipSetIds = new Set<string>();
  const memo = sortMemo[ipVersion];
  for (const chainName of sortedNames(wanted, memo.wanted)) {
    const owner = wanted.get(chainName)!;
    const ruleSet = owner.kind === 'policy' ? state.policies.get(owner.name)! : state.profiles.get(owner.name)!;
    const r = renderPolicyChain(owner.kind, owner.name, ruleSet, owner.dir, ipVersion, cfg, configKey);
    if (r.rendered.name !== chainName) throw new CompileError('chain', chainName, 'was rendered under another name');
    add(r.rendered);
    for (const id of r.ipSetIds) ipSetIds.add(id);
  }

  renderDispatch(ifaces).forEach(add);
  const fixed = renderStatic(ipVersion, cfg, configKey);
  fixed.chains.forEach(add);
  const hooks: HookRule[] = [...fixed.hooks];

  const ipSets: IpSetSpec[] = [];
  for (const id of sortedNames(ipSetIds, memo.ipSets)) {
    const members = state.ipSets.get(id);
    if (!members) throw new CompileError('ipSets', id, 'is used by a rule but the desired state does not define it');
    ipSets.push(ipSetSpec(id, members, ipVersion, cfg));
  }
  ipSets.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (let i = 1; i < ipSets.length; i++) {
    if (ipSets[i]!.name === ipSets[i - 1]!.name) throw new CompileError('ipSets', ipSets[i]!.name, 'is the kernel name of two different IP set ids');
  }

  const chains = sortedNames(rendered, memo.chains).map((name) => rendered.get(name)!);
  return { ipVersion, chains, hooks, ipSets };
}

/**
 * `previous` with the IP sets `ipSetIds` brought up to date from `state`, everything else
 * shared: for when only set members changed since `previous` was compiled from the same live
 * state (no endpoint, policy, profile or set came, went or changed otherwise; the calc delta
 * tells), so every chain and the list of sets stay as they are and the result equals what
 * compileRuleset(state) would give, without visiting every endpoint and chain. Ids of sets
 * this family does not use are ignored. Returns `previous` itself when no set changed.
 */
export function recompileIpSetMembers(
  previous: Ruleset,
  state: DesiredState,
  ipSetIds: Iterable<string>,
  config?: Partial<CompilerConfig>,
): Ruleset {
  const { ipVersion } = previous;
  if (ipVersion !== 4 && ipVersion !== 6) throw new CompileError('ipVersion', ipVersion, 'must be 4 or 6');
  const { config: cfg } = resolve(config);
  let ipSets: IpSetSpec[] | undefined;
  for (const id of ipSetIds) {
    const at = indexByName(previous.ipSets, ipSetName(ipVersion, id));
    if (at < 0) continue;
    const members = state.ipSets.get(id);
    if (!members) throw new CompileError('ipSets', id, 'is used by a rule but the desired state does not define it');
    const spec = ipSetSpec(id, members, ipVersion, cfg);
    if (spec === previous.ipSets[at]) continue;
    ipSets ??= [...previous.ipSets];
    ipSets[at] = spec;
  }
  return ipSets ? { ...previous, ipSets } : previous;
}

/** Binary search in a list sorted by name (a Ruleset's ipSets); -1 when absent. */
function indexByName(list: readonly { name: string }[], name: string): number {
  let lo = 0;
  let hi = list.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const n = list[mid]!.name;
    if (n === name) return mid;
    if (n < name) lo = mid + 1;
    else hi = mid - 1;
  }
  return -1;
}
