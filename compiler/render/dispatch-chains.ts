// Dispatch chains: cali-from-wl-dispatch (-i) and cali-to-wl-dispatch (-o)
// --goto the endpoint chain of the packet's interface. Interface names are
// sorted and binned by the character after their common prefix: a bin with
// several names becomes a child chain (`-i cali3+ --goto
// cali-from-wl-dispatch-3`), a bin with one name a direct rule (Felix's
// shallow tree). Every dispatch chain ends in DROP: a packet from or to a
// workload interface Tabby does not know is dropped (fail closed).
import { CompileError } from '../errors.js';
import { Drop, Goto } from '../iptables/actions.js';
import { rule, type Chain, type Rule } from '../iptables/chain.js';
import { match, type MatchCriteria } from '../iptables/match.js';
import { CHAIN_FROM_WL_DISPATCH, CHAIN_TO_WL_DISPATCH, checkInterfaceName, endpointChainName } from '../names.js';

function commonPrefix(sorted: readonly string[]): string {
  if (sorted.length === 0) return '';
  const first = sorted[0]!;
  const last = sorted[sorted.length - 1]!;
  let i = 0;
  while (i < first.length && i < last.length && first[i] === last[i]) i++;
  return first.slice(0, i);
}

interface PrefixTree {
  common: string;
  /** Bins in sorted order: prefix (common + next character, or common itself) and its names. */
  bins: { prefix: string; names: string[] }[];
}

export function dividePrefixTree(names: Iterable<string>): PrefixTree {
  const sorted = [...new Set(names)].sort();
  sorted.forEach((n) => checkInterfaceName(n));
  const common = commonPrefix(sorted);
  const bins: PrefixTree['bins'] = [];
  for (const name of sorted) {
    const prefix = name.length > common.length ? name.slice(0, common.length + 1) : common;
    const last = bins[bins.length - 1];
    if (last && last.prefix === prefix) last.names.push(name);
    else bins.push({ prefix, names: [name] });
  }
  return { common, bins };
}

const unknownInterface = (): Rule => rule(match(), new Drop(), 'Unknown interface');

function dispatchChains(
  rootName: string,
  tree: PrefixTree,
  toWorkload: boolean,
): Chain[] {
  const ifaceMatch = (name: string): MatchCriteria => (toWorkload ? match().outInterface(name) : match().inInterface(name));
  const root: Rule[] = [];
  const children: Chain[] = [];
  for (const { prefix, names } of tree.bins) {
    if (names.length > 1) {
      const nextChar = prefix.slice(tree.common.length);
      if (nextChar.length !== 1) throw new CompileError('interfaceName', names, 'share a prefix bin without a next character');
      const childName = `${rootName}-${nextChar}`;
      root.push(rule(ifaceMatch(`${prefix}+`), new Goto(childName)));
      children.push({
        name: childName,
        rules: [...names.map((n) => rule(ifaceMatch(n), new Goto(endpointChainName(toWorkload, n)))), unknownInterface()],
      });
    } else {
      const n = names[0]!;
      root.push(rule(ifaceMatch(n), new Goto(endpointChainName(toWorkload, n))));
    }
  }
  root.push(unknownInterface());
  return [...children, { name: rootName, rules: root }];
}

/** From- and to-workload dispatch chains (roots and children) for the given interfaces. */
export function workloadDispatchChains(interfaceNames: Iterable<string>): Chain[] {
  const tree = dividePrefixTree(interfaceNames);
  return [...dispatchChains(CHAIN_FROM_WL_DISPATCH, tree, false), ...dispatchChains(CHAIN_TO_WL_DISPATCH, tree, true)];
}
