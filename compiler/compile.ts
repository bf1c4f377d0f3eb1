// compileRuleset: the desired state of one node to everything one address
// family needs in the filter table. Pure: no I/O, same input, same output.
//
// Only chains something refers to are produced: a policy's inbound chain
// when a local endpoint has it among its ingress policies, and so on; IP sets
// only when a rendered rule matches on them. Per-object rendering is memoised
// (policies/profiles by RuleSet object, endpoints by object and content), so
// recompiling after one change re-renders only what changed.
import type { DesiredState, LocalEndpoint } from './desired-state.js';
import type { HookRule, IpSetSpec, RenderedChain, Ruleset } from './ruleset.js';
import { resolveCompilerConfig, type CompilerConfig } from './config.js';
import { CompileError } from './errors.js';
import { referencedChains, renderChain, type Chain } from './iptables/chain.js';
import { ipSetSpec } from './ipsets.js';
import { checkInterfaceName, policyChainName, profileChainName, type Direction } from './names.js';
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

const endpointMemo = new WeakMap<LocalEndpoint, { key: string; chains: Chain[]; rendered: RenderedChain[] }>();

function renderEndpoint(ep: LocalEndpoint, state: DesiredState, config: ResolvedConfig, configKey: string): { chains: Chain[]; rendered: RenderedChain[] } {
  // Everything the chains depend on, so a mutated or re-created endpoint misses the memo.
  const key = JSON.stringify([
    ep.interfaceName,
    ep.active,
    ep.ingressPolicies,
    ep.egressPolicies,
    ep.profileIds,
    [...ep.ingressPolicies, ...ep.egressPolicies].map((p) => state.policies.has(p)),
    ep.profileIds.map((p) => state.profiles.has(p)),
    configKey,
  ]);
  const hit = endpointMemo.get(ep);
  if (hit && hit.key === key) return hit;
  const chains = endpointChains(ep, config, {
    policyExists: (name) => state.policies.has(name),
    profileExists: (name) => state.profiles.has(name),
  });
  const entry = { key, chains, rendered: chains.map(renderChain) };
  endpointMemo.set(ep, entry);
  return entry;
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
    const { chains, rendered: r } = renderEndpoint(ep, state, cfg, configKey);
    r.forEach(add);
    if (!ep.active) continue;
    for (const [dir, policies] of [['inbound', ep.ingressPolicies], ['outbound', ep.egressPolicies]] as const) {
      for (const p of policies) if (state.policies.has(p)) want(policyChainName(dir, p), { kind: 'policy', name: p, dir });
    }
    for (const dir of ['inbound', 'outbound'] as const) {
      for (const p of ep.profileIds) if (state.profiles.has(p)) want(profileChainName(dir, p), { kind: 'profile', name: p, dir });
    }
    // Every jump target must be a chain we produce.
    for (const c of chains) for (const t of referencedChains(c)) if (!wanted.has(t)) throw new CompileError('chain', t, `is referred to by ${c.name} but not produced`);
  }

  const ipSetIds = new Set<string>();
  for (const [chainName, owner] of [...wanted].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    const ruleSet = owner.kind === 'policy' ? state.policies.get(owner.name)! : state.profiles.get(owner.name)!;
    const r = renderPolicyChain(owner.kind, owner.name, ruleSet, owner.dir, ipVersion, cfg, configKey);
    if (r.rendered.name !== chainName) throw new CompileError('chain', chainName, 'was rendered under another name');
    add(r.rendered);
    for (const id of r.ipSetIds) ipSetIds.add(id);
  }

  for (const c of workloadDispatchChains(ifaces)) add(renderChain(c));
  for (const c of staticChains(ipVersion, cfg)) add(renderChain(c));

  const hooks: HookRule[] = hookRules().map(({ chain, rule }) => ({ chain, rule: renderChain({ name: chain, rules: [rule] }).rules[0]! }));

  const ipSets: IpSetSpec[] = [];
  for (const id of [...ipSetIds].sort()) {
    const members = state.ipSets.get(id);
    if (!members) throw new CompileError('ipSets', id, 'is used by a rule but the desired state does not define it');
    ipSets.push(ipSetSpec(id, members, ipVersion, cfg));
  }
  ipSets.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (let i = 1; i < ipSets.length; i++) {
    if (ipSets[i]!.name === ipSets[i - 1]!.name) throw new CompileError('ipSets', ipSets[i]!.name, 'is the kernel name of two different IP set ids');
  }

  const chains = [...rendered.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  return { ipVersion, chains, hooks, ipSets };
}
