// `tabby diff`: what the kernel holds against what an apply would write, for a
// person to read. One hunk group per hook chain, cali-* chain and IP set that
// differs; rules are compared by hash, as the apply compares them. Read-only.
import type { Ruleset } from '../compiler/ruleset.js';
import { ruleLine } from './iptables-save.js';
import type { KernelIpSet, KernelState } from './types.js';
import { HOOK_CHAINS, isOwnedChain } from './types.js';
import type { DiffLine } from './unified-diff.js';
import { unifiedDiff } from './unified-diff.js';
import type { DesiredRuleset } from './validate.js';
import { validateRuleset } from './validate.js';

const byName = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

function chainLines(name: string, rules: readonly { spec: string; hash: string | null }[]): DiffLine[] {
  return [
    { key: 'declare', text: `:${name} - [0:0]` },
    ...rules.map((r) => ({ key: r.hash === null ? `foreign:${r.spec}` : `hash:${r.hash}`, text: ruleLine(name, r.spec) })),
  ];
}

function setLines(s: Pick<KernelIpSet, 'name' | 'type' | 'family' | 'maxelem' | 'members'>): DiffLine[] {
  return [
    { key: `create ${s.type} ${s.family} ${s.maxelem}`, text: `create ${s.name} ${s.type} family ${s.family} maxelem ${s.maxelem}` },
    ...s.members.map((m) => ({ key: `member:${m}`, text: `add ${s.name} ${m}` })),
  ];
}

/**
 * A unified diff from the kernel's cali-* chains, hook rules and IP sets to
 * `desired`; '' when they are in sync.
 */
export function diffRuleset(current: KernelState, desired: Ruleset | DesiredRuleset): string {
  const want: DesiredRuleset = desired.chains instanceof Map
    ? (desired as DesiredRuleset)
    : validateRuleset(desired as Ruleset, current.ipVersion);
  const family = `ipv${current.ipVersion}`;
  const label = (side: 'kernel' | 'desired', what: string): string => `${side}/${family}/${what}`;
  const parts: string[] = [];

  for (const hook of HOOK_CHAINS) {
    const rules = current.filter.chains.get(hook)?.rules ?? [];
    const kernel: DiffLine[] = [];
    rules.forEach((r, i) => {
      if (r.hash !== null) kernel.push({ key: `${i}:${r.hash}`, text: `-I ${hook} ${i + 1} ${r.spec}` });
    });
    const w = want.hooks.get(hook);
    const wanted: DiffLine[] = w ? [{ key: `0:${w.hash}`, text: `-I ${hook} 1 ${w.spec}` }] : [];
    parts.push(unifiedDiff(label('kernel', `filter/${hook}`), label('desired', `filter/${hook}`), kernel, wanted));
  }

  const names = new Set<string>([...want.chains.keys()]);
  for (const name of current.filter.chains.keys()) if (isOwnedChain(name)) names.add(name);
  for (const name of [...names].sort(byName)) {
    const k = current.filter.chains.get(name);
    const d = want.chains.get(name);
    parts.push(unifiedDiff(
      label('kernel', `filter/${name}`), label('desired', `filter/${name}`),
      k ? chainLines(name, k.rules) : [], d ? chainLines(name, d.rules) : [],
    ));
  }

  const sets = new Set<string>([...want.ipSets.keys(), ...current.ipSets.keys()]);
  for (const name of [...sets].sort(byName)) {
    const k = current.ipSets.get(name);
    const d = want.ipSets.get(name);
    parts.push(unifiedDiff(
      label('kernel', `ipset/${name}`), label('desired', `ipset/${name}`),
      k ? setLines(k) : [], d ? setLines({ ...d, name }) : [],
    ));
  }
  return parts.join('');
}
