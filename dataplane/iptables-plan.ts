// The minimal iptables-restore --noflush input that turns the kernel's filter
// table into the desired one. Chains are compared by their rules' hash
// comments; only chains that differ are written, and no rule outside cali-*
// chains is touched except our single hook rule at the top of INPUT, FORWARD
// and OUTPUT. The whole input is one transaction: it applies whole or not at all.
import { ruleLine } from './iptables-save.js';
import type { FilterTable, HookChainName, KernelChain, KernelRule } from './types.js';
import { HOOK_CHAINS, isOwnedChain } from './types.js';
import type { DesiredRuleset } from './validate.js';
import { ruleTargets } from './validate.js';

export interface HookChange {
  chain: HookChainName;
  spec: string;
}

export interface IptablesPlan {
  /** The iptables-restore input, or null when the kernel already matches. */
  input: string | null;
  chainsCreated: string[];
  chainsRewritten: string[];
  chainsDeleted: string[];
  /** Unwanted cali-* chains another program's rule still jumps to: flushed, not deleted. */
  chainsKeptReferenced: string[];
  hooksRemoved: HookChange[];
  hooksInserted: HookChange[];
}

/** Every chain the plan's input names (declares, fills, deletes or hooks into), sorted. */
export function chainsTouched(plan: IptablesPlan): string[] {
  return [...new Set([
    ...plan.chainsCreated, ...plan.chainsRewritten, ...plan.chainsDeleted, ...plan.chainsKeptReferenced,
    ...plan.hooksRemoved.map((h) => h.chain), ...plan.hooksInserted.map((h) => h.chain),
  ])].sort();
}

function sameHashes(kernel: readonly KernelRule[], desired: readonly { hash: string }[]): boolean {
  // The very same array: the chain as the previous apply left it (filterTableAfter shares it).
  if (kernel === desired) return true;
  return kernel.length === desired.length && kernel.every((r, i) => r.hash !== null && r.hash === desired[i]!.hash);
}

/** Rules in a hook chain that carry a cali: comment are ours; everything else is another program's. */
const isOurHookRule = (chain: string, rule: KernelRule): boolean =>
  (HOOK_CHAINS as readonly string[]).includes(chain) && rule.hash !== null;

/** Owned chains that some rule Tabby will not remove (another program's) jumps to. */
function foreignReferences(table: FilterTable): Set<string> {
  const refs = new Set<string>();
  for (const chain of table.chains.values()) {
    if (isOwnedChain(chain.name)) continue;
    for (const rule of chain.rules) {
      if (isOurHookRule(chain.name, rule)) continue;
      for (const target of ruleTargets(rule.spec)) if (isOwnedChain(target)) refs.add(target);
    }
  }
  return refs;
}

interface HookDecision {
  remove: HookChange[];
  insert?: HookChange;
}

function planHook(chainName: HookChainName, chain: KernelChain | undefined, want: { hash: string; spec: string } | undefined): HookDecision {
  const rules = chain?.rules ?? [];
  const ours = rules.map((r, i) => ({ r, i })).filter(({ r }) => r.hash !== null);
  const top = rules[0];
  if (want && top && top.hash === want.hash) {
    // The right hook is already first: only stale rules below it go, by spec.
    // A stale copy with the very same spec would make -D hit the top rule first,
    // so in that case fall through and rebuild.
    const stale = ours.filter(({ i }) => i !== 0);
    if (!stale.some(({ r }) => r.spec === top.spec)) {
      return { remove: stale.map(({ r }) => ({ chain: chainName, spec: r.spec })) };
    }
  }
  return {
    remove: ours.map(({ r }) => ({ chain: chainName, spec: r.spec })),
    insert: want ? { chain: chainName, spec: want.spec } : undefined,
  };
}

const byName = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

export function planIptables(current: FilterTable, desired: DesiredRuleset): IptablesPlan {
  const chainsCreated: string[] = [];
  const chainsRewritten: string[] = [];
  const chainsDeleted: string[] = [];
  const chainsKeptReferenced: string[] = [];

  for (const [name, chain] of desired.chains) {
    const kernel = current.chains.get(name);
    if (!kernel) chainsCreated.push(name);
    else if (!sameHashes(kernel.rules, chain.rules)) chainsRewritten.push(name);
  }
  const referenced = foreignReferences(current);
  for (const chain of current.chains.values()) {
    if (!isOwnedChain(chain.name) || desired.chains.has(chain.name)) continue;
    if (!referenced.has(chain.name)) chainsDeleted.push(chain.name);
    else if (chain.rules.length > 0) chainsKeptReferenced.push(chain.name);
  }
  // Sorted once here rather than sorting every chain: the lists are short after a small change.
  for (const list of [chainsCreated, chainsRewritten, chainsDeleted, chainsKeptReferenced]) list.sort(byName);

  const hooksRemoved: HookChange[] = [];
  const hooksInserted: HookChange[] = [];
  for (const hook of HOOK_CHAINS) {
    const d = planHook(hook, current.chains.get(hook), desired.hooks.get(hook));
    hooksRemoved.push(...d.remove);
    if (d.insert) hooksInserted.push(d.insert);
  }

  const lines: string[] = [];
  // Declaring a chain creates it, or flushes it in --noflush mode.
  for (const name of [...chainsCreated, ...chainsRewritten, ...chainsDeleted, ...chainsKeptReferenced].sort()) {
    lines.push(`:${name} - [0:0]`);
  }
  for (const h of hooksRemoved) lines.push(`-D ${h.chain} ${h.spec}`);
  for (const name of [...chainsCreated, ...chainsRewritten].sort()) {
    for (const rule of desired.chains.get(name)!.rules) lines.push(ruleLine(name, rule.spec));
  }
  for (const h of hooksInserted) lines.push(`-I ${h.chain} 1 ${h.spec}`);
  // Deleted chains were flushed above and nothing that stays references them.
  for (const name of chainsDeleted) lines.push(`-X ${name}`);

  return {
    input: lines.length === 0 ? null : ['*filter', ...lines, 'COMMIT', ''].join('\n'),
    chainsCreated,
    chainsRewritten,
    chainsDeleted,
    chainsKeptReferenced,
    hooksRemoved,
    hooksInserted,
  };
}

/**
 * The filter table as it will read back once `plan` has been applied to `current`. A written
 * chain shares the desired chain's rules array (immutable, see compiler/ruleset.ts), so the next
 * plan recognises it as unchanged by identity.
 */
export function filterTableAfter(current: FilterTable, desired: DesiredRuleset, plan: IptablesPlan): FilterTable {
  const chains = new Map<string, KernelChain>();
  const deleted = new Set(plan.chainsDeleted);
  const flushed = new Set(plan.chainsKeptReferenced);
  for (const [name, chain] of current.chains) {
    if (deleted.has(name)) continue;
    if (flushed.has(name)) { chains.set(name, { ...chain, rules: [] }); continue; }
    if ((HOOK_CHAINS as readonly string[]).includes(name)) {
      const want = desired.hooks.get(name as HookChainName);
      const foreign = chain.rules.filter((r) => r.hash === null);
      chains.set(name, { ...chain, rules: want ? [{ spec: want.spec, hash: want.hash }, ...foreign] : foreign });
      continue;
    }
    chains.set(name, chain);
  }
  for (const name of [...plan.chainsCreated, ...plan.chainsRewritten]) {
    chains.set(name, { name, policy: null, rules: desired.chains.get(name)!.rules });
  }
  return { chains };
}
