// Checks a compiled Ruleset before any of it reaches iptables-restore or
// ipset restore, and puts it in the shape the planners compare against.
// Bad input throws DataplaneInputError naming the field and value; nothing is written.
import type { HookRule, IpSetSpec, RenderedChain, RenderedRule, Ruleset } from '../compiler/ruleset.js';
import { canonicalCidr, parseCidr } from './ip-address.js';
import { HASH_CHARS, ruleHash } from './iptables-save.js';
import type { HookChainName } from './types.js';
import { HOOK_CHAINS, ipSetPrefix, isOwnedChain, tempIpSetPrefix } from './types.js';

export class DataplaneInputError extends Error {
  constructor(readonly field: string, readonly value: unknown, why: string) {
    super(`${field}: ${why}: ${JSON.stringify(value)}`);
    this.name = 'DataplaneInputError';
  }
}

/** A validated Ruleset, keyed for lookup; set members canonical and sorted. */
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

export function validateRuleset(ruleset: Ruleset, ipVersion: 4 | 6): DesiredRuleset {
  if (typeof ruleset !== 'object' || ruleset === null) throw new DataplaneInputError('ruleset', ruleset, 'not a ruleset');
  if (ruleset.ipVersion !== ipVersion) {
    throw new DataplaneInputError('ruleset.ipVersion', ruleset.ipVersion, `this dataplane handles IPv${ipVersion}`);
  }
  for (const key of ['chains', 'hooks', 'ipSets'] as const) {
    if (!Array.isArray(ruleset[key])) throw new DataplaneInputError(`ruleset.${key}`, ruleset[key], 'must be a list');
  }

  const ipSets = new Map<string, IpSetSpec>();
  const family = ipVersion === 4 ? 'inet' : 'inet6';
  ruleset.ipSets.forEach((set: IpSetSpec, i) => {
    const f = `ruleset.ipSets[${i}]`;
    const name = set?.name;
    if (typeof name !== 'string' || !IPSET_NAME.test(name) || name.length > MAX_IPSET_NAME) {
      throw new DataplaneInputError(`${f}.name`, name, `must be 1-${MAX_IPSET_NAME} characters of [A-Za-z0-9_.:+=/-]`);
    }
    if (!name.startsWith(ipSetPrefix(ipVersion)) || name.startsWith(tempIpSetPrefix(ipVersion))) {
      throw new DataplaneInputError(`${f}.name`, name,
        `must start with "${ipSetPrefix(ipVersion)}" and not "${tempIpSetPrefix(ipVersion)}" (reserved for temporary sets)`);
    }
    if (ipSets.has(name)) throw new DataplaneInputError(`${f}.name`, name, 'duplicate IP set');
    if (set.type !== 'hash:net') throw new DataplaneInputError(`${f}.type`, set.type, 'must be "hash:net"');
    if (set.family !== family) throw new DataplaneInputError(`${f}.family`, set.family, `must be "${family}" for IPv${ipVersion}`);
    if (!Number.isInteger(set.maxelem) || set.maxelem < 1 || set.maxelem > MAX_MAXELEM) {
      throw new DataplaneInputError(`${f}.maxelem`, set.maxelem, `must be an integer from 1 to ${MAX_MAXELEM}`);
    }
    if (!Array.isArray(set.members)) throw new DataplaneInputError(`${f}.members`, set.members, 'must be a list');
    const members = new Set<string>();
    set.members.forEach((m, j) => {
      const c = typeof m === 'string' ? parseCidr(m, ipVersion) : undefined;
      if (!c || c.prefix === 0) {
        throw new DataplaneInputError(`${f}.members[${j}]`, m, `must be an IPv${ipVersion} address or network (prefix at least 1)`);
      }
      members.add(canonicalCidr(m, ipVersion)!);
    });
    if (members.size > set.maxelem) {
      throw new DataplaneInputError(`${f}.members`, members.size, `more members than maxelem ${set.maxelem}`);
    }
    ipSets.set(name, { ...set, members: [...members].sort() });
  });

  const chains = new Map<string, RenderedChain>();
  ruleset.chains.forEach((chain: RenderedChain, i) => {
    const f = `ruleset.chains[${i}]`;
    const name = chain?.name;
    if (typeof name !== 'string' || !CHAIN_NAME.test(name) || name.length > MAX_CHAIN_NAME) {
      throw new DataplaneInputError(`${f}.name`, name, `must start with "cali-" and be at most ${MAX_CHAIN_NAME} characters of [A-Za-z0-9_.:+-]`);
    }
    if (chains.has(name)) throw new DataplaneInputError(`${f}.name`, name, 'duplicate chain');
    if (!Array.isArray(chain.rules)) throw new DataplaneInputError(`${f}.rules`, chain.rules, 'must be a list');
    chain.rules.forEach((rule, j) => checkRule(`${f}.rules[${j}]`, rule));
    chains.set(name, chain);
  });

  // Every reference to one of our chains or sets must resolve inside this ruleset,
  // so no write can leave a rule pointing at something missing.
  const checkRefs = (field: string, spec: string): void => {
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
  };
  ruleset.chains.forEach((chain, i) =>
    chain.rules.forEach((rule, j) => checkRefs(`ruleset.chains[${i}].rules[${j}].spec`, rule.spec)));

  const hooks = new Map<HookChainName, RenderedRule>();
  ruleset.hooks.forEach((hook: HookRule, i) => {
    const f = `ruleset.hooks[${i}]`;
    if (!HOOK_CHAINS.includes(hook?.chain)) throw new DataplaneInputError(`${f}.chain`, hook?.chain, `must be one of ${HOOK_CHAINS.join(', ')}`);
    if (hooks.has(hook.chain)) throw new DataplaneInputError(`${f}.chain`, hook.chain, 'more than one hook for this chain');
    checkRule(`${f}.rule`, hook.rule);
    if (!ruleTargets(hook.rule.spec).some(isOwnedChain)) {
      throw new DataplaneInputError(`${f}.rule.spec`, hook.rule.spec, 'a hook must jump to a cali- chain');
    }
    checkRefs(`${f}.rule.spec`, hook.rule.spec);
    hooks.set(hook.chain, hook.rule);
  });

  return { ipVersion, chains, hooks, ipSets };
}
