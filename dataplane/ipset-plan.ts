// IP set changes as two `ipset restore` inputs around the iptables write:
// `pre` creates sets and updates members before any rule can use them, `post`
// destroys sets only after the rules that used them are gone. A set whose
// members change a lot is refilled in a temporary set and swapped in, so rules
// never see it half-updated.
import { createHash } from 'node:crypto';
import type { IpSetSpec } from '../compiler/ruleset.js';
import type { FilterTable, KernelIpSet } from './types.js';
import { ipSetPrefix, isOwnedChain, tempIpSetPrefix } from './types.js';
import type { DesiredRuleset } from './validate.js';
import { MAX_IPSET_NAME, ruleIpSets } from './validate.js';

export interface IpSetPlan {
  /** `ipset restore` input to run before the iptables write, or null. */
  preInput: string | null;
  /** `ipset restore` input to run after the iptables write, or null. */
  postInput: string | null;
  created: string[];
  /** Sets changed in place with add/del. */
  updated: string[];
  /** Sets refilled through a temporary set and `swap`. */
  swapped: string[];
  destroyed: string[];
  /** Unwanted sets that another program's rule still matches on: left alone. */
  keptReferenced: string[];
}

export interface IpSetPlanOptions {
  /** Swap instead of add/del when at least this many members change ... */
  swapMinChanges?: number;
  /** ... and the changes are at least this fraction of the set's new size. */
  swapMinFraction?: number;
}

export class IpSetConflictError extends Error {
  constructor(readonly setName: string, why: string) {
    super(`IP set ${setName}: ${why}`);
    this.name = 'IpSetConflictError';
  }
}

/** The temporary name a set is refilled under; same length as the original when it can be. */
export function tempIpSetName(name: string, ipVersion: 4 | 6): string {
  const stable = `${ipSetPrefix(ipVersion)}0`;
  if (name.startsWith(stable)) return tempIpSetPrefix(ipVersion) + name.slice(stable.length);
  const digest = createHash('sha256').update(name).digest('base64url');
  const prefix = tempIpSetPrefix(ipVersion);
  return prefix + digest.slice(0, MAX_IPSET_NAME - prefix.length);
}

/** IP sets matched by a rule outside cali-* chains (those rules are not ours to remove). */
function foreignSetReferences(table: FilterTable): Set<string> {
  const refs = new Set<string>();
  for (const chain of table.chains.values()) {
    if (isOwnedChain(chain.name)) continue;
    for (const rule of chain.rules) for (const s of ruleIpSets(rule.spec)) refs.add(s);
  }
  return refs;
}

function allSetReferences(table: FilterTable): Set<string> {
  const refs = new Set<string>();
  for (const chain of table.chains.values()) for (const rule of chain.rules) for (const s of ruleIpSets(rule.spec)) refs.add(s);
  return refs;
}

const createLine = (name: string, s: IpSetSpec): string =>
  `create ${name} ${s.type} family ${s.family} maxelem ${s.maxelem}`;

export function planIpSets(
  current: ReadonlyMap<string, KernelIpSet>,
  table: FilterTable,
  desired: DesiredRuleset,
  options: IpSetPlanOptions = {},
): IpSetPlan {
  const { swapMinChanges = 16, swapMinFraction = 0.5 } = options;
  const v = desired.ipVersion;
  const pre: string[] = [];
  const post: string[] = [];
  const created: string[] = [];
  const updated: string[] = [];
  const swapped: string[] = [];
  const destroyed: string[] = [];
  const keptReferenced: string[] = [];
  const destroyedEarly = new Set<string>();
  // Scanning every rule is only needed in the rare case of a type clash.
  let referencedNow: Set<string> | undefined;

  const destroyEarly = (name: string): void => {
    if (!current.has(name) || destroyedEarly.has(name)) return;
    pre.push(`destroy ${name}`);
    destroyedEarly.add(name);
    destroyed.push(name);
  };

  for (const [name, want] of [...desired.ipSets].sort(([a], [b]) => (a < b ? -1 : 1))) {
    let have = current.get(name);
    if (have && (have.type !== want.type || have.family !== want.family)) {
      // swap needs matching types, so a foreign-made set of another type must go first.
      referencedNow ??= allSetReferences(table);
      if (referencedNow.has(name)) {
        throw new IpSetConflictError(name,
          `exists as ${have.type} family ${have.family} (want ${want.type} family ${want.family}) and a rule still uses it`);
      }
      destroyEarly(name);
      have = undefined;
    }
    if (!have) {
      pre.push(createLine(name, want));
      for (const m of want.members) pre.push(`add ${name} ${m}`);
      created.push(name);
      continue;
    }
    // The very same members array: the set as the previous apply left it (validated sets and
    // the state after an apply share their immutable members arrays), so nothing to compare.
    if (have.members === want.members && have.maxelem === want.maxelem) continue;
    const haveSet = new Set(have.members);
    const wantSet = new Set(want.members);
    const adds = want.members.filter((m) => !haveSet.has(m));
    const dels = have.members.filter((m) => !wantSet.has(m));
    const changes = adds.length + dels.length;
    const resize = have.maxelem !== want.maxelem;
    if (changes === 0 && !resize) continue;
    if (resize || (changes >= swapMinChanges && changes >= swapMinFraction * want.members.length)) {
      const tmp = tempIpSetName(name, v);
      destroyEarly(tmp); // a leftover from an interrupted run would keep stale members
      pre.push(createLine(tmp, want));
      for (const m of want.members) pre.push(`add ${tmp} ${m}`);
      pre.push(`swap ${tmp} ${name}`, `destroy ${tmp}`);
      swapped.push(name);
    } else {
      for (const m of dels) pre.push(`del ${name} ${m}`);
      for (const m of adds) pre.push(`add ${name} ${m}`);
      updated.push(name);
    }
  }

  // After the iptables write only other programs' rules can still use an unwanted set.
  const foreignRefs = foreignSetReferences(table);
  for (const name of [...current.keys()].sort()) {
    if (desired.ipSets.has(name) || destroyedEarly.has(name)) continue;
    if (foreignRefs.has(name)) { keptReferenced.push(name); continue; }
    post.push(`destroy ${name}`);
    destroyed.push(name);
  }

  const text = (lines: string[]): string | null => (lines.length === 0 ? null : lines.join('\n') + '\n');
  return { preInput: text(pre), postInput: text(post), created, updated, swapped, destroyed, keptReferenced };
}

/**
 * Owned IP sets as they will read back once `plan` has run. Each desired set's members array
 * is shared, not copied (it is immutable, see compiler/ruleset.ts), which lets the next plan
 * recognise an unchanged set by identity.
 */
export function ipSetsAfter(
  current: ReadonlyMap<string, KernelIpSet>,
  desired: DesiredRuleset,
  plan: IpSetPlan,
): Map<string, KernelIpSet> {
  const out = new Map<string, KernelIpSet>();
  for (const name of plan.keptReferenced) out.set(name, current.get(name)!);
  for (const [name, s] of desired.ipSets) {
    out.set(name, { name, type: s.type, family: s.family, maxelem: s.maxelem, members: s.members });
  }
  return out;
}

