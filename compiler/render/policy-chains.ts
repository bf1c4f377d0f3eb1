// Policy and profile chains: one chain per direction holding the rendered
// rules (cali-pi-/cali-po- for policies, cali-pri-/cali-pro- for profiles).
// A chain is a pure function of (name, rules, IP version, config), so it is
// memoised per RuleSet object: calc replaces a RuleSet when it changes.
import type { ResolvedRule, RuleSet } from '../desired-state.js';
import type { RenderedChain } from '../ruleset.js';
import type { CompilerConfig } from '../config.js';
import { renderChain, type Chain } from '../iptables/chain.js';
import { policyChainName, profileChainName, type Direction } from '../names.js';
import { renderPolicyRule, type RuleOwner } from './rule-renderer.js';

export type RuleOwnerKind = RuleOwner;

export interface PolicyChainRender {
  /** The rule list this was rendered from (a replaced or resized list invalidates the memo). */
  source: readonly ResolvedRule[];
  sourceLength: number;
  chain: Chain;
  rendered: RenderedChain;
  /** IP set ids the chain's rules match on. */
  ipSetIds: ReadonlySet<string>;
}

/** The structured chain for one direction of a policy or profile. */
export function policyChain(
  kind: RuleOwnerKind,
  name: string,
  rules: readonly ResolvedRule[],
  dir: Direction,
  ipVersion: 4 | 6,
  config: Readonly<CompilerConfig>,
): { chain: Chain; ipSetIds: Set<string> } {
  const chainName = kind === 'policy' ? policyChainName(dir, name) : profileChainName(dir, name);
  const ipSetIds = new Set<string>();
  const out: Chain = { name: chainName, rules: [] };
  rules.forEach((r, i) => {
    const field = `${kind} ${JSON.stringify(name)} ${dir}[${i}]`;
    const rendered = renderPolicyRule(r, ipVersion, config, field, kind);
    out.rules.push(...rendered.rules);
    if (rendered.rules.length > 0) for (const id of rendered.ipSetIds) ipSetIds.add(id);
  });
  return { chain: out, ipSetIds };
}

const memo = new WeakMap<RuleSet, Map<string, PolicyChainRender>>();

/** policyChain + renderChain, cached per RuleSet object, name, direction, IP version and config. */
export function renderPolicyChain(
  kind: RuleOwnerKind,
  name: string,
  ruleSet: RuleSet,
  dir: Direction,
  ipVersion: 4 | 6,
  config: Readonly<CompilerConfig>,
  configKey: string,
): PolicyChainRender {
  let byKey = memo.get(ruleSet);
  if (!byKey) {
    byKey = new Map();
    memo.set(ruleSet, byKey);
  }
  const key = `${kind}\u0000${name}\u0000${dir}\u0000${ipVersion}\u0000${configKey}`;
  const source = dir === 'inbound' ? ruleSet.inbound : ruleSet.outbound;
  let hit = byKey.get(key);
  if (!hit || hit.source !== source || hit.sourceLength !== source.length) {
    const { chain, ipSetIds } = policyChain(kind, name, source, dir, ipVersion, config);
    hit = { source, sourceLength: source.length, chain, rendered: renderChain(chain), ipSetIds };
    byKey.set(key, hit);
  }
  return hit;
}
