// Text for the kernel, in one place: iptables-restore input for the filter
// table and ipset-restore input, plus the building blocks the dataplane uses
// to write minimal deltas.
//
// The full form (renderRestore) is Tabby's whole part of a fresh filter table:
//
//   *filter
//   :cali-... - [0:0]          every cali chain, sorted (creates it, or flushes it under --noflush)
//   -A cali-... ...            every rule of every chain, chains sorted
//   -I INPUT 1 ... -j cali-INPUT      hooks, inserted at the top
//   -I FORWARD 1 ... -j cali-FORWARD
//   -I OUTPUT 1 ... -j cali-OUTPUT
//   COMMIT
//
// It declares no built-in chain, so it loads the same with or without
// --noflush on a table Tabby has not written yet: nothing of other software's
// is flushed or re-declared under --noflush. (Loading it without --noflush
// replaces the whole table, as iptables-restore always does.) On a host that
// already has Tabby's hooks, use renderRestoreNoflush, which inserts hooks
// only when asked.
import type { HookRule, IpSetSpec, RenderedChain, Ruleset } from './ruleset.js';
import { CompileError } from './errors.js';
import { CHAIN_NAME_RE } from './iptables/actions.js';

const HOOK_CHAINS = new Set(['INPUT', 'FORWARD', 'OUTPUT']);

/** `:name - [0:0]`: declares a user chain (creates it; under --noflush also flushes it). */
export function chainDeclaration(name: string): string {
  checkName(name);
  return `:${name} - [0:0]`;
}

/** The `-A` lines of one chain. */
export function chainRuleLines(chain: RenderedChain): string[] {
  checkName(chain.name);
  return chain.rules.map((r) => `-A ${chain.name} ${r.spec}`);
}

/** Inserts a hook at the given 1-based position of its kernel chain. */
export function hookInsertLine(hook: HookRule, position = 1): string {
  if (!HOOK_CHAINS.has(hook.chain)) throw new CompileError('hook.chain', hook.chain, 'must be INPUT, FORWARD or OUTPUT');
  if (!Number.isInteger(position) || position < 1) throw new CompileError('position', position, 'must be a positive integer');
  return `-I ${hook.chain} ${position} ${hook.rule.spec}`;
}

/** Deletes a hook by its exact spec. */
export function hookDeleteLine(hook: HookRule): string {
  if (!HOOK_CHAINS.has(hook.chain)) throw new CompileError('hook.chain', hook.chain, 'must be INPUT, FORWARD or OUTPUT');
  return `-D ${hook.chain} ${hook.rule.spec}`;
}

/** Deletes a chain (it must be empty and unreferenced when the transaction ends). */
export function chainDeleteLine(name: string): string {
  checkName(name);
  return `-X ${name}`;
}

function checkName(name: string): void {
  if (typeof name !== 'string' || !CHAIN_NAME_RE.test(name)) throw new CompileError('chain', name, 'is not a chain name');
}

function checkOwnName(name: string): void {
  checkName(name);
  if (!name.startsWith('cali-')) throw new CompileError('chain', name, 'is not a cali- chain');
}

/** Full iptables-restore input for Tabby's part of a fresh filter table (see the top of this file). */
export function renderRestore(ruleset: Ruleset): string {
  const lines = ['*filter'];
  for (const c of ruleset.chains) lines.push(chainDeclaration(c.name));
  for (const c of ruleset.chains) lines.push(...chainRuleLines(c));
  for (const h of ruleset.hooks) lines.push(hookInsertLine(h, 1));
  lines.push('COMMIT');
  return lines.join('\n') + '\n';
}

export interface NoflushOptions {
  /** Hooks to insert at position 1 of their chains (none by default). */
  insertHooks?: Iterable<HookRule>;
  /** Hooks to delete by spec, e.g. a stale one. */
  deleteHooks?: Iterable<HookRule>;
  /** cali- chains to flush and delete (nothing may refer to them once the input is applied). */
  deleteChains?: Iterable<string>;
}

/**
 * iptables-restore --noflush input that rewrites only the named chains of the
 * ruleset (each declared, which flushes it, then its rules), optionally
 * inserting or deleting hooks and deleting stale chains. Chains are written in
 * sorted order; a name not in the ruleset is an error.
 */
export function renderRestoreNoflush(ruleset: Ruleset, chainNames: Iterable<string>, opts: NoflushOptions = {}): string {
  const byName = new Map(ruleset.chains.map((c) => [c.name, c]));
  const write = [...new Set(chainNames)].sort();
  for (const n of write) if (!byName.has(n)) throw new CompileError('chain', n, 'is not in the ruleset');
  const del = [...new Set(opts.deleteChains ?? [])].sort();
  for (const n of del) {
    checkOwnName(n);
    if (byName.has(n)) throw new CompileError('deleteChains', n, 'is still in the ruleset');
  }
  const lines = ['*filter'];
  for (const n of write) lines.push(chainDeclaration(n));
  for (const n of del) lines.push(chainDeclaration(n));
  for (const h of opts.deleteHooks ?? []) lines.push(hookDeleteLine(h));
  for (const n of write) lines.push(...chainRuleLines(byName.get(n)!));
  for (const h of opts.insertHooks ?? []) lines.push(hookInsertLine(h, 1));
  for (const n of del) lines.push(chainDeleteLine(n));
  lines.push('COMMIT');
  return lines.join('\n') + '\n';
}

const IPSET_NAME_RE = /^cali[46]0[a-zA-Z0-9_.:-]{1,25}$/;

function checkSet(set: IpSetSpec): void {
  if (!IPSET_NAME_RE.test(set.name)) throw new CompileError('ipSet.name', set.name, 'is not a Tabby IP set name');
  if (set.type !== 'hash:net') throw new CompileError(`ipSet ${set.name} type`, set.type, 'must be hash:net');
  if (set.family !== 'inet' && set.family !== 'inet6') throw new CompileError(`ipSet ${set.name} family`, set.family, 'must be inet or inet6');
  if (!Number.isInteger(set.maxelem) || set.maxelem < 1) throw new CompileError(`ipSet ${set.name} maxelem`, set.maxelem, 'must be a positive integer');
}

const MEMBER_RE = /^[0-9a-fA-F.:]+(\/[0-9]{1,3})?$/;

/** `create NAME hash:net family inet maxelem N -exist` */
export function ipSetCreateLine(set: IpSetSpec): string {
  checkSet(set);
  return `create ${set.name} ${set.type} family ${set.family} maxelem ${set.maxelem} -exist`;
}

/** `add NAME MEMBER` lines (members were parsed and re-printed by the compiler; checked again here). */
export function ipSetAddLines(set: IpSetSpec, members: Iterable<string> = set.members): string[] {
  checkSet(set);
  const out: string[] = [];
  for (const m of members) {
    if (!MEMBER_RE.test(m)) throw new CompileError(`ipSet ${set.name} member`, m, 'is not an address or CIDR');
    out.push(`add ${set.name} ${m}`);
  }
  return out;
}

/** ipset restore input that makes every set exist with exactly its members: create -exist, flush, add. */
export function renderIpsetRestore(ruleset: Ruleset): string {
  const lines: string[] = [];
  for (const set of ruleset.ipSets) {
    lines.push(ipSetCreateLine(set));
    lines.push(`flush ${set.name}`);
    lines.push(...ipSetAddLines(set));
  }
  return lines.length === 0 ? '' : lines.join('\n') + '\n';
}
