// Checks a compiled Ruleset before any of it reaches iptables-restore or
// ipset restore, and puts it in the shape the planners compare against.
// Bad input throws DataplaneInputError naming the field and value; nothing is written.
//
// The compiler hands out the very same RenderedChain and IpSetSpec objects
// while they are unchanged, and they are immutable (compiler/ruleset.ts), so
// the result of checking one object is remembered: an apply after a small
// change checks in full only the objects it has not seen before. What is
// checked per apply regardless: duplicate names and that every reference
// resolves inside this ruleset.
import type { HookRule, IpSetSpec, RenderedChain, RenderedRule, Ruleset } from '../compiler/ruleset.js';
import { formatCidr, parseCidr } from './ip-address.js';
import { HASH_CHARS, ruleHash } from './iptables-save.js';
import type { HookChainName } from './types.js';
import { HOOK_CHAINS, ipSetPrefix, isOwnedChain, tempIpSetPrefix } from './types.js';

export class DataplaneInputError extends Error {
  constructor(readonly field: string, readonly value: unknown, why: string) {
    super(`${field}: ${why}: ${JSON.stringify(value)}`);
    this.name = 'DataplaneInputError';
  }
}

/**
 * A validated Ruleset, keyed for lookup; set members canonical and sorted. Read-only: its maps
 * and checked sets may be shared with the results of other validations of the same objects.
 */
export interface DesiredRuleset {
  ipVersion: 4 | 6;
  chains: Map<string, RenderedChain>;
  hooks: Map<HookChainName, RenderedRule>;
  ipSets: Map<string, IpSetSpec>;
}

export const MAX_CHAIN_NAME = 28;
export const MAX_IPSET_NAME = 31;
const CHAIN_NAME = /^cali-[A-Za-z0-9_.:+-]+$/;
const IPSET_NAME = /^[A-Za-z0-9_.:+=/-]+$/;
const HASH = new RegExp(`^[${HASH_CHARS}]{1,64}$`);
const MAX_MAXELEM = 2 ** 31;

/** Chains a rule jumps or goes to. */
export function ruleTargets(spec: string): string[] {
  return [...spec.matchAll(/(?:^|\s)(?:-j|--jump|-g|--goto)\s+(\S+)/g)].map((m) => m[1]!);
}

/** IP sets a rule matches on. */
export function ruleIpSets(spec: string): string[] {
  return [...spec.matchAll(/(?:^|\s)--match-set\s+"?([^\s"]+)"?/g)].map((m) => m[1]!);
}

function checkRule(field: string, rule: RenderedRule): void {
  if (typeof rule !== 'object' || rule === null) throw new DataplaneInputError(field, rule, 'not a rule');
  if (typeof rule.hash !== 'string' || !HASH.test(rule.hash)) {
    throw new DataplaneInputError(`${field}.hash`, rule.hash, `must be 1-64 characters of [${HASH_CHARS}]`);
  }
  const spec = rule.spec;
  if (typeof spec !== 'string' || spec.trim() === '') throw new DataplaneInputError(`${field}.spec`, spec, 'must be a non-empty string');
  if (/[\n\r\0]/.test(spec)) throw new DataplaneInputError(`${field}.spec`, spec, 'must be a single line');
  if (spec !== spec.trim()) throw new DataplaneInputError(`${field}.spec`, spec, 'must not start or end with whitespace');
  if (/^-[AIDRNXFPZ]\b/.test(spec)) throw new DataplaneInputError(`${field}.spec`, spec, 'must not start with a command flag');
  if ((spec.match(/"/g)?.length ?? 0) % 2 !== 0) throw new DataplaneInputError(`${field}.spec`, spec, 'has an unbalanced quote');
  if (ruleHash(spec) !== rule.hash) {
    throw new DataplaneInputError(`${field}.spec`, spec, `must carry the comment "cali:${rule.hash}"`);
  }
}

/** Our chains and IP sets one chain's rules refer to (each once). */
interface ChainRefs {
  chains: string[];
  ipSets: string[];
}

/** Chains already checked: their references, which must still resolve in each ruleset. */
const checkedChains = new WeakMap<RenderedChain, ChainRefs>();

const knownChain = (chain: RenderedChain): ChainRefs | undefined =>
  typeof chain === 'object' && chain !== null ? checkedChains.get(chain) : undefined;

function checkChainName(f: string, chain: RenderedChain): string {
  const name = chain?.name;
  if (typeof name !== 'string' || !CHAIN_NAME.test(name) || name.length > MAX_CHAIN_NAME) {
    throw new DataplaneInputError(`${f}.name`, name, `must start with "cali-" and be at most ${MAX_CHAIN_NAME} characters of [A-Za-z0-9_.:+-]`);
  }
  return name;
}

/** A chain's rules (its name is checked first); remembered per object, so an unchanged chain is checked once. */
function checkChainRules(f: string, chain: RenderedChain): ChainRefs {
  if (!Array.isArray(chain.rules)) throw new DataplaneInputError(`${f}.rules`, chain.rules, 'must be a list');
  chain.rules.forEach((rule, j) => checkRule(`${f}.rules[${j}]`, rule));
  const targets = new Set<string>();
  const sets = new Set<string>();
  for (const rule of chain.rules) {
    for (const t of ruleTargets(rule.spec)) if (isOwnedChain(t)) targets.add(t);
    for (const s of ruleIpSets(rule.spec)) if (s.startsWith('cali')) sets.add(s);
  }
  const refs = { chains: [...targets], ipSets: [...sets] };
  checkedChains.set(chain, refs);
  return refs;
}

/**
 * Member texts that passed the check, per family, with their canonical form. Checking a string
 * depends on nothing but the string, so a set that changed re-checks only its new texts
 * (a datastore change typically rewrites a few sets of hundreds of members). Bounded.
 */
const canonicalMembers = { 4: new Map<string, string>(), 6: new Map<string, string>() };
const MAX_KNOWN_MEMBERS = 1 << 20;

/** IP sets already checked, per family: the checked copy (members canonical and sorted). */
const checkedSets = new WeakMap<IpSetSpec, { 4?: IpSetSpec; 6?: IpSetSpec }>();

/*
 * An IP set's name, type, family, maxelem and members give the checked copy the planners use;
 * it is remembered per object and family, so an unchanged set is checked once and the planners
 * get the very same copy (and members array) again.
 */
function knownIpSet(set: IpSetSpec, ipVersion: 4 | 6): IpSetSpec | undefined {
  return typeof set === 'object' && set !== null ? checkedSets.get(set)?.[ipVersion] : undefined;
}

function checkIpSetName(f: string, set: IpSetSpec, ipVersion: 4 | 6): string {
  const name = set?.name;
  if (typeof name !== 'string' || !IPSET_NAME.test(name) || name.length > MAX_IPSET_NAME) {
    throw new DataplaneInputError(`${f}.name`, name, `must be 1-${MAX_IPSET_NAME} characters of [A-Za-z0-9_.:+=/-]`);
  }
  if (!name.startsWith(ipSetPrefix(ipVersion)) || name.startsWith(tempIpSetPrefix(ipVersion))) {
    throw new DataplaneInputError(`${f}.name`, name,
      `must start with "${ipSetPrefix(ipVersion)}" and not "${tempIpSetPrefix(ipVersion)}" (reserved for temporary sets)`);
  }
  return name;
}

/** Everything but the name (checked first, as a duplicate is reported before the rest). */
function checkIpSetBody(f: string, set: IpSetSpec, ipVersion: 4 | 6): IpSetSpec {
  const family = ipVersion === 4 ? 'inet' : 'inet6';
  if (set.type !== 'hash:net') throw new DataplaneInputError(`${f}.type`, set.type, 'must be "hash:net"');
  if (set.family !== family) throw new DataplaneInputError(`${f}.family`, set.family, `must be "${family}" for IPv${ipVersion}`);
  if (!Number.isInteger(set.maxelem) || set.maxelem < 1 || set.maxelem > MAX_MAXELEM) {
    throw new DataplaneInputError(`${f}.maxelem`, set.maxelem, `must be an integer from 1 to ${MAX_MAXELEM}`);
  }
  if (!Array.isArray(set.members)) throw new DataplaneInputError(`${f}.members`, set.members, 'must be a list');
  const members = new Set<string>();
  const known = canonicalMembers[ipVersion];
  set.members.forEach((m, j) => {
    let canonical = typeof m === 'string' ? known.get(m) : undefined;
    if (canonical === undefined) {
      const c = typeof m === 'string' ? parseCidr(m, ipVersion) : undefined;
      if (!c || c.prefix === 0) {
        throw new DataplaneInputError(`${f}.members[${j}]`, m, `must be an IPv${ipVersion} address or network (prefix at least 1)`);
      }
      canonical = formatCidr(c);
      if (known.size >= MAX_KNOWN_MEMBERS) known.clear();
      known.set(m as string, canonical);
    }
    members.add(canonical);
  });
  if (members.size > set.maxelem) {
    throw new DataplaneInputError(`${f}.members`, members.size, `more members than maxelem ${set.maxelem}`);
  }
  const checked = { ...set, members: [...members].sort() };
  let perFamily = checkedSets.get(set);
  if (!perFamily) checkedSets.set(set, (perFamily = {}));
  perFamily[ipVersion] = checked;
  return checked;
}

/**
 * Chain lists already checked as a whole (the compiler reuses the list while no chain changes):
 * their chains by name, and the IP set names their rules match on, which must still exist.
 */
const checkedChainLists = new WeakMap<readonly RenderedChain[], { chains: Map<string, RenderedChain>; ipSets: string[] }>();

/** Every reference to one of our chains or sets must resolve inside this ruleset. */
function checkRefs(field: string, spec: string, chains: ReadonlyMap<string, unknown>, ipSets: ReadonlyMap<string, unknown>): void {
  for (const target of ruleTargets(spec)) {
    if (isOwnedChain(target) && !chains.has(target)) {
      throw new DataplaneInputError(field, target, 'jumps to a chain that is not in the ruleset');
    }
  }
  for (const set of ruleIpSets(spec)) {
    if (set.startsWith('cali') && !ipSets.has(set)) {
      throw new DataplaneInputError(field, set, 'matches an IP set that is not in the ruleset');
    }
  }
}

/** The chains by name, each checked (see checkChainRules), with every reference resolved. */
function checkChains(list: readonly RenderedChain[], ipSets: ReadonlyMap<string, IpSetSpec>): Map<string, RenderedChain> {
  const known = checkedChainLists.get(list);
  if (known && known.ipSets.every((name) => ipSets.has(name))) return known.chains;

  const chains = new Map<string, RenderedChain>();
  const refs: ChainRefs[] = [];
  list.forEach((chain: RenderedChain, i) => {
    const f = (): string => `ruleset.chains[${i}]`;
    const knownRefs = knownChain(chain);
    const name = knownRefs ? chain.name : checkChainName(f(), chain);
    if (chains.has(name)) throw new DataplaneInputError(`${f()}.name`, name, 'duplicate chain');
    chains.set(name, chain);
    refs.push(knownRefs ?? checkChainRules(f(), chain));
  });
  // So no write can leave a rule pointing at something missing.
  const setNames = new Set<string>();
  list.forEach((chain, i) => {
    const r = refs[i]!;
    for (const name of r.ipSets) setNames.add(name);
    if (r.chains.every((c) => chains.has(c)) && r.ipSets.every((name) => ipSets.has(name))) return;
    // Something is missing: find the rule, to name it in the error.
    chain.rules.forEach((rule, j) => checkRefs(`ruleset.chains[${i}].rules[${j}].spec`, rule.spec, chains, ipSets));
  });
  checkedChainLists.set(list, { chains, ipSets: [...setNames] });
  return chains;
}

export function validateRuleset(ruleset: Ruleset, ipVersion: 4 | 6): DesiredRuleset {
  if (typeof ruleset !== 'object' || ruleset === null) throw new DataplaneInputError('ruleset', ruleset, 'not a ruleset');
  if (ruleset.ipVersion !== ipVersion) {
    throw new DataplaneInputError('ruleset.ipVersion', ruleset.ipVersion, `this dataplane handles IPv${ipVersion}`);
  }
  for (const key of ['chains', 'hooks', 'ipSets'] as const) {
    if (!Array.isArray(ruleset[key])) throw new DataplaneInputError(`ruleset.${key}`, ruleset[key], 'must be a list');
  }

  const ipSets = new Map<string, IpSetSpec>();
  ruleset.ipSets.forEach((set: IpSetSpec, i) => {
    const f = (): string => `ruleset.ipSets[${i}]`;
    const known = knownIpSet(set, ipVersion);
    const name = known ? known.name : checkIpSetName(f(), set, ipVersion);
    if (ipSets.has(name)) throw new DataplaneInputError(`${f()}.name`, name, 'duplicate IP set');
    ipSets.set(name, known ?? checkIpSetBody(f(), set, ipVersion));
  });

  const chains = checkChains(ruleset.chains, ipSets);

  const hooks = new Map<HookChainName, RenderedRule>();
  ruleset.hooks.forEach((hook: HookRule, i) => {
    const f = `ruleset.hooks[${i}]`;
    if (!HOOK_CHAINS.includes(hook?.chain)) throw new DataplaneInputError(`${f}.chain`, hook?.chain, `must be one of ${HOOK_CHAINS.join(', ')}`);
    if (hooks.has(hook.chain)) throw new DataplaneInputError(`${f}.chain`, hook.chain, 'more than one hook for this chain');
    checkRule(`${f}.rule`, hook.rule);
    if (!ruleTargets(hook.rule.spec).some(isOwnedChain)) {
      throw new DataplaneInputError(`${f}.rule.spec`, hook.rule.spec, 'a hook must jump to a cali- chain');
    }
    checkRefs(`${f}.rule.spec`, hook.rule.spec, chains, ipSets);
    hooks.set(hook.chain, hook.rule);
  });

  return { ipVersion, chains, hooks, ipSets };
}
