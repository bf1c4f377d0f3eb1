// `calicoctl profile <PROFILE> rule add|remove|show|json|update`: the
// profile's inbound (spec.ingress) and outbound (spec.egress) rules.
import type { ResourceStore } from '../../datastore/resource-store.js';
import { InputSyntaxError, ValidationError } from '../../model/errors.js';
import { formatRule, sameRule } from '../../model/rule-grammar.js';
import { profileRulesFromJson, profileRulesToJson, type ProfileRulesJson } from '../../model/rule-storage.js';
import type { Profile, Rule } from '../../model/types.js';
import type { CliContext } from '../context.js';
import type { Direction } from './profile-args.js';
import { editableRules, editProfile, notFound, rulesOf } from './profile-store.js';

async function getProfile(store: ResourceStore, name: string): Promise<Profile | undefined> {
  return (await store.get('profile', { name })) as Profile | undefined;
}

/** `Inbound rules:` then ` %3d %s` per rule, numbered from 1; the same for outbound. */
export function formatRuleListing(profile: Profile): string {
  const section = (title: string, rules: readonly Rule[]): string =>
    `${title}\n` + rules.map((rule, i) => ` ${String(i + 1).padStart(3)} ${formatRule(rule)}\n`).join('');
  return section('Inbound rules:', rulesOf(profile, 'inbound')) + section('Outbound rules:', rulesOf(profile, 'outbound'));
}

export async function ruleShow(store: ResourceStore, name: string, ctx: CliContext): Promise<number> {
  const profile = await getProfile(store, name);
  if (!profile) {
    ctx.stdout.write(notFound(name));
    return 1;
  }
  ctx.stdout.write(formatRuleListing(profile));
  return 0;
}

/** The rules as JSON and a newline (calicoctl v0's json.dump then `print ""`). */
export async function ruleJson(store: ResourceStore, name: string, ctx: CliContext): Promise<number> {
  const profile = await getProfile(store, name);
  if (!profile) {
    ctx.stdout.write(notFound(name));
    return 1;
  }
  const json = profileRulesToJson({ id: name, inbound: [...rulesOf(profile, 'inbound')], outbound: [...rulesOf(profile, 'outbound')] });
  ctx.stdout.write(`${json}\n`);
  return 0;
}

/** Replaces both rule lists with the JSON read from standard input; nothing changes if it is invalid. */
export async function ruleUpdate(store: ResourceStore, name: string, ctx: CliContext): Promise<number> {
  if (!(await getProfile(store, name))) {
    ctx.stdout.write(notFound(name));
    return 1;
  }
  let rules: ProfileRulesJson;
  try {
    rules = profileRulesFromJson(await ctx.readStdin());
  } catch (err) {
    if (!(err instanceof InputSyntaxError || err instanceof ValidationError)) throw err;
    ctx.stderr.write(`Invalid rules JSON on standard input: ${err.message}\n`);
    return 1;
  }
  if (rules.id !== undefined && rules.id !== name) {
    ctx.stderr.write(`Rules JSON "id"=${rules.id} doesn't match profile name ${name}.\n`);
    return 1;
  }
  const outcome = await editProfile(store, name, (profile) => {
    profile.spec.ingress = structuredClone(rules.inbound);
    profile.spec.egress = structuredClone(rules.outbound);
    return { outcome: 'updated' as const, updated: profile };
  });
  if (outcome === 'missing') {
    ctx.stdout.write(notFound(name));
    return 1;
  }
  ctx.stdout.write(`Successfully updated rules on profile ${name}\n`);
  return 0;
}

/**
 * Inserts `rule` at 1-based `position` (default: append). A rule that is
 * already in the list is not added twice.
 */
export async function ruleAdd(
  store: ResourceStore,
  name: string,
  direction: Direction,
  position: number | undefined,
  rule: Rule,
  ctx: CliContext,
): Promise<number> {
  const outcome = await editProfile(store, name, (profile) => {
    const rules = editableRules(profile, direction);
    const at = position ?? rules.length + 1;
    if (!(at >= 1 && at <= rules.length + 1)) return { outcome: 'out of range' as const };
    if (rules.some((r) => sameRule(r, rule))) return { outcome: 'present' as const };
    rules.splice(at - 1, 0, structuredClone(rule));
    return { outcome: 'added' as const, updated: profile };
  });
  switch (outcome) {
    case 'missing':
      ctx.stdout.write(notFound(name));
      return 1;
    case 'out of range':
      ctx.stdout.write(`Position ${position} is out-of-range.\n`);
      return 1;
    case 'present':
      ctx.stdout.write('Rule already present, skipping.\n');
      return 0;
    case 'added':
      return 0;
  }
}

/** Removes the rule at 1-based `position`. */
export async function ruleRemoveAt(
  store: ResourceStore,
  name: string,
  direction: Direction,
  position: number,
  ctx: CliContext,
): Promise<number> {
  const outcome = await editProfile(store, name, (profile) => {
    const rules = editableRules(profile, direction);
    if (!(position >= 1 && position <= rules.length)) return { outcome: 'out of range' as const };
    rules.splice(position - 1, 1);
    return { outcome: 'removed' as const, updated: profile };
  });
  switch (outcome) {
    case 'missing':
      ctx.stdout.write(notFound(name));
      return 1;
    case 'out of range':
      ctx.stdout.write('Rule position out-of-range.\n');
      return 1;
    case 'removed':
      return 0;
  }
}

/** Removes the first rule equal to `rule`. */
export async function ruleRemoveMatching(
  store: ResourceStore,
  name: string,
  direction: Direction,
  rule: Rule,
  ctx: CliContext,
): Promise<number> {
  const outcome = await editProfile(store, name, (profile) => {
    const rules = editableRules(profile, direction);
    const at = rules.findIndex((r) => sameRule(r, rule));
    if (at === -1) return { outcome: 'not found' as const };
    rules.splice(at, 1);
    return { outcome: 'removed' as const, updated: profile };
  });
  switch (outcome) {
    case 'missing':
      ctx.stdout.write(notFound(name));
      return 1;
    case 'not found':
      ctx.stdout.write('Rule not found.\n');
      return 1;
    case 'removed':
      return 0;
  }
}
