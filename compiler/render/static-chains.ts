// The fixed chains and the hooks into the kernel's own chains.
//
//   INPUT   -> cali-INPUT:   -i <prefix>+ --goto cali-wl-to-host
//              cali-wl-to-host: (IPv6: accept the ICMPv6 a router needs)
//                               -j cali-from-wl-dispatch (egress policy)
//                               then the configured endpoint-to-host action
//   FORWARD -> cali-FORWARD: clear Tabby's mark bits; -i <prefix>+ -j
//              cali-from-wl-dispatch; -o <prefix>+ -j cali-to-wl-dispatch;
//              accept what the policy chains marked as accepted
//   OUTPUT  -> cali-OUTPUT:  -o <prefix>+ -j RETURN (host to workload: unpoliced)
import { allMarkBits, type CompilerConfig } from '../config.js';
import { Accept, ClearMark, Drop, Goto, Jump, Return, type Action } from '../iptables/actions.js';
import { rule, type Chain, type Rule } from '../iptables/chain.js';
import { match } from '../iptables/match.js';
import {
  CHAIN_FORWARD,
  CHAIN_FROM_WL_DISPATCH,
  CHAIN_INPUT,
  CHAIN_OUTPUT,
  CHAIN_TO_WL_DISPATCH,
  CHAIN_WL_TO_HOST,
} from '../names.js';

export type HookChain = 'INPUT' | 'FORWARD' | 'OUTPUT';

/** ICMPv6 types a workload must be able to send to its router (Felix's list). */
export const ICMPV6_ROUTER_TYPES = [130, 131, 132, 133, 135, 136] as const;

function endpointToHostAction(config: Readonly<CompilerConfig>): Action {
  switch (config.endpointToHostAction) {
    case 'ACCEPT':
      return new Accept();
    case 'RETURN':
      return new Return();
    default:
      return new Drop();
  }
}

export function staticChains(ipVersion: 4 | 6, config: Readonly<CompilerConfig>): Chain[] {
  const prefixes = config.workloadIfacePrefixes.map((p) => `${p}+`);

  const input: Chain = {
    name: CHAIN_INPUT,
    rules: prefixes.map((p) => rule(match().inInterface(p), new Goto(CHAIN_WL_TO_HOST))),
  };

  const toHost: Rule[] = [];
  if (ipVersion === 6) {
    for (const t of ICMPV6_ROUTER_TYPES) toHost.push(rule(match().protocol('icmpv6').icmpV6Type(t), new Accept()));
  }
  toHost.push(rule(match(), new Jump(CHAIN_FROM_WL_DISPATCH)));
  toHost.push(rule(match(), endpointToHostAction(config), 'Configured endpoint-to-host action'));
  const wlToHost: Chain = { name: CHAIN_WL_TO_HOST, rules: toHost };

  const forward: Chain = {
    name: CHAIN_FORWARD,
    rules: [
      rule(match(), new ClearMark(allMarkBits(config))),
      ...prefixes.map((p) => rule(match().inInterface(p), new Jump(CHAIN_FROM_WL_DISPATCH))),
      ...prefixes.map((p) => rule(match().outInterface(p), new Jump(CHAIN_TO_WL_DISPATCH))),
      rule(match().markSingleBitSet(config.markAccept), new Accept(), 'Policy explicitly accepted packet.'),
    ],
  };

  const output: Chain = {
    name: CHAIN_OUTPUT,
    rules: prefixes.map((p) => rule(match().outInterface(p), new Return(), 'Host to workload: not policed')),
  };

  return [input, wlToHost, forward, output];
}

/** The rules Tabby inserts at the top of the kernel's INPUT, FORWARD and OUTPUT. */
export function hookRules(): { chain: HookChain; rule: Rule }[] {
  return [
    { chain: 'INPUT', rule: rule(match(), new Jump(CHAIN_INPUT)) },
    { chain: 'FORWARD', rule: rule(match(), new Jump(CHAIN_FORWARD)) },
    { chain: 'OUTPUT', rule: rule(match(), new Jump(CHAIN_OUTPUT)) },
  ];
}
