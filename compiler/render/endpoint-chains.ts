// Per-endpoint chains: cali-tw-<iface> (traffic to the workload, ingress
// policy) and cali-fw-<iface> (traffic from it, egress policy).
//
//   conntrack: accept established/related, drop invalid
//   clear the accept mark
//   with policies:  clear the pass mark; per policy "jump unless a previous
//                   policy passed" + "return if accepted"; drop unless a
//                   policy passed (end of tier)
//   per profile:    jump + "return if accepted" (a missing profile: drop here)
//   drop
// An inactive endpoint's chains drop everything.
import type { LocalEndpoint } from '../desired-state.js';
import type { CompilerConfig } from '../config.js';
import { Accept, ClearMark, Drop, Jump, Return } from '../iptables/actions.js';
import { rule, type Chain, type Rule } from '../iptables/chain.js';
import { match } from '../iptables/match.js';
import { endpointChainName, policyChainName, profileChainName, type Direction } from '../names.js';

/** What the endpoint chains need to know beyond the endpoint itself. */
export interface EndpointContext {
  policyExists(name: string): boolean;
  profileExists(name: string): boolean;
}

function conntrackRules(): Rule[] {
  return [
    rule(match().conntrackState('RELATED,ESTABLISHED'), new Accept()),
    rule(match().conntrackState('INVALID'), new Drop()),
  ];
}

function endpointChain(
  ep: LocalEndpoint,
  toWorkload: boolean,
  config: Readonly<CompilerConfig>,
  ctx: EndpointContext,
): Chain {
  const name = endpointChainName(toWorkload, ep.interfaceName);
  if (!ep.active) return { name, rules: [rule(match(), new Drop(), 'Endpoint is not active')] };

  const dir: Direction = toWorkload ? 'inbound' : 'outbound';
  const policies = toWorkload ? ep.ingressPolicies : ep.egressPolicies;
  const rules: Rule[] = [...conntrackRules(), rule(match(), new ClearMark(config.markAccept))];

  if (policies.length > 0) {
    rules.push(rule(match(), new ClearMark(config.markPass), 'Start of policies'));
    for (const policy of policies) {
      if (!ctx.policyExists(policy)) {
        // Cannot happen with a consistent desired state; fail closed if it does.
        rules.push(rule(match().markClear(config.markPass), new Drop(), 'Unknown policy'));
        continue;
      }
      rules.push(rule(match().markClear(config.markPass), new Jump(policyChainName(dir, policy))));
      rules.push(rule(match().markSingleBitSet(config.markAccept), new Return(), 'Return if policy accepted'));
    }
    rules.push(rule(match().markClear(config.markPass), new Drop(), 'Drop if no policies passed packet'));
  }

  for (const profile of ep.profileIds) {
    if (!ctx.profileExists(profile)) {
      rules.push(rule(match(), new Drop(), 'Unknown profile'));
      continue;
    }
    rules.push(rule(match(), new Jump(profileChainName(dir, profile))));
    rules.push(rule(match().markSingleBitSet(config.markAccept), new Return(), 'Return if profile accepted'));
  }
  rules.push(rule(match(), new Drop(), 'Drop if no profiles matched'));
  return { name, rules };
}

/** [cali-tw-<iface>, cali-fw-<iface>] for one local endpoint. */
export function endpointChains(ep: LocalEndpoint, config: Readonly<CompilerConfig>, ctx: EndpointContext): Chain[] {
  return [endpointChain(ep, true, config, ctx), endpointChain(ep, false, config, ctx)];
}
