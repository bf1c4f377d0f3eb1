// `tabby agent --once [--node NAME] [--dump-restore FILE]`: one pass of the
// agent (src/agent/once.ts), with a line per address family saying what was
// written. Exit 0 when applied, 1 on any error (which names what failed and
// what is in force).
import { writeFile } from 'node:fs/promises';
import { agentDaemonCommand } from './agent-daemon.js';
import { createDataplane } from '../../../dataplane/dataplane.js';
import { createCommandRunner } from '../../../dataplane/runner.js';
import type { IpVersion } from '../../agent/desired.js';
import type { FamilyApplied, OnceReport } from '../../agent/once.js';
import { AgentApplyError, planOnce, runOnce } from '../../agent/once.js';
import type { NodeTarget } from '../../agent/desired.js';
import { flag, optionValue, parseArgs, UsageError } from '../v1/args.js';
import { errorMessage } from '../v1/errors.js';
import type { TabbyContext } from '../tabby.js';
import { resolveNodeName } from './compile.js';

export const AGENT_USAGE = `Usage:
  tabby agent --once [--dry-run] [--node NAME] [--dump-restore FILE]

Options:
  --once               Read the datastore, compute this node's ruleset, apply it
                       (IP sets, iptables, workload routes and neighbours) and exit.
  --dry-run            Check and plan everything, print the iptables-restore and
                       ipset restore inputs an apply would run, and write nothing.
                       Without root the kernel is not read: the plan is for a host
                       with none of Tabby's rules.
  --node NAME          The node to act for (default: $NODENAME, else the host name).
  --dump-restore FILE  Also write, as JSON, the exact iptables-restore and ipset
                       restore inputs this run gave the kernel, per IP version.
`;

/** What one run gave the kernel, for `--dump-restore`. */
export interface RestoreDump {
  node: string;
  revision: number | null;
  families: {
    ipVersion: IpVersion;
    reason: string;
    changed: boolean;
    /** Chains the iptables-restore input names, as the dataplane reports them. */
    chainsTouched: string[];
    iptablesRestore: string | null;
    ipsetRestoreBefore: string | null;
    ipsetRestoreAfter: string | null;
    plumbingCommands: string[][];
  }[];
  /** Present when the run failed. */
  error?: string;
}

function dumpFamily(a: FamilyApplied): RestoreDump['families'][number] {
  const r = a.result;
  return {
    ipVersion: a.ipVersion,
    reason: a.reason,
    changed: r.changed,
    chainsTouched: r.chainsTouched,
    iptablesRestore: r.iptables.input,
    ipsetRestoreBefore: r.ipSets.preInput,
    ipsetRestoreAfter: r.ipSets.postInput,
    plumbingCommands: r.plumbing?.commands ?? [],
  };
}

const count = (n: number, what: string): string => `${n} ${what}${n === 1 ? '' : 's'}`;

/** One line a person can read: what this family's apply wrote. */
export function describeFamily(a: FamilyApplied): string {
  const r = a.result;
  const family = `IPv${a.ipVersion}${a.reason === 'cleanup' ? ' (removing Tabby\'s rules)' : ''}`;
  const p = r.plumbing;
  const plumbingChanged = p !== undefined && p.commands.length > 0;
  if (!r.changed && !plumbingChanged) return `${family}: in sync, nothing written`;
  const parts: string[] = [];
  const it = r.iptables;
  if (it.input) {
    parts.push(`${count(r.chainsTouched.length, 'chain')} written (${it.chainsCreated.length} created, ` +
      `${it.chainsRewritten.length} rewritten, ${it.chainsDeleted.length + it.chainsKeptReferenced.length} removed)`);
  }
  const s = r.ipSets;
  const sets = s.created.length + s.updated.length + s.swapped.length + s.destroyed.length;
  if (sets > 0) {
    parts.push(`IP sets: ${s.created.length} created, ${s.updated.length + s.swapped.length} updated, ${s.destroyed.length} destroyed`);
  }
  if (plumbingChanged) {
    parts.push(`routes +${p.routesAdded.length} -${p.routesRemoved.length}, neighbours +${p.neighboursAdded.length} -${p.neighboursRemoved.length}`);
  }
  return `${family}: ${parts.join('; ')}`;
}

/** The inputs an apply of `target` would run, per family, under `#` headings. */
export function describePlan(target: NodeTarget): string {
  const out: string[] = [];
  if (target.uninstall) out.push(`# node ${target.node}: the datastore is empty; everything Tabby made would be removed`);
  for (const f of target.families) {
    const family = `IPv${f.ipVersion}${f.reason === 'cleanup' ? ' (removing Tabby\'s rules)' : ''}`;
    const { iptables, ipSets } = f.plan;
    if (!iptables.input && !ipSets.preInput && !ipSets.postInput) {
      out.push(`# ${family}: in sync, nothing to write`);
      continue;
    }
    const section = (what: string, input: string | null): void => {
      if (input) out.push(`# ${family}: ${what}`, input.replace(/\n$/, ''));
    };
    section('ipset restore (before iptables)', ipSets.preInput);
    section(`${f.ipVersion === 4 ? 'iptables' : 'ip6tables'}-restore --noflush`, iptables.input);
    section('ipset restore (after iptables)', ipSets.postInput);
  }
  return out.length === 0 ? '' : out.join('\n') + '\n';
}

export async function agentCommand(argv: string[], ctx: TabbyContext): Promise<number> {
  // Without --once: the long-running daemon (./agent-daemon.ts), which has its own flags.
  if (!argv.includes('--once')) return agentDaemonCommand(argv, ctx);
  const args = parseArgs(argv, [
    { long: 'once', takesValue: false },
    { long: 'node', takesValue: true },
    { long: 'dump-restore', takesValue: true },
    { long: 'dry-run', takesValue: false },
    { long: 'help', short: 'h', takesValue: false },
  ]);
  if (flag(args, 'help')) {
    ctx.stdout.write(AGENT_USAGE);
    return 0;
  }
  if (args.positionals.length > 0) throw new UsageError(`unexpected argument '${args.positionals[0]}'`);
  if (!flag(args, 'once')) throw new UsageError('--once must be given as an option');
  const dumpPath = optionValue(args, 'dump-restore');
  if (dumpPath === '') throw new UsageError('--dump-restore needs a file name');
  if (dumpPath !== undefined && flag(args, 'dry-run')) throw new UsageError('--dry-run writes nothing, so it takes no --dump-restore');
  const node = resolveNodeName(optionValue(args, 'node'), ctx.env, ctx.hostname);

  const runner = createCommandRunner();
  if (flag(args, 'dry-run')) {
    // Without root the kernel cannot be read: plan as for a host with none of our rules.
    const assumeFreshKernel = process.getuid?.() !== 0;
    if (assumeFreshKernel) {
      ctx.stderr.write('tabby agent: not root, so the kernel was not read: planning as for a host with none of Tabby\'s rules\n');
    }
    const target = await planOnce({
      node,
      openStore: () => ctx.openDatastore(),
      dataplaneFor: (ipVersion) => createDataplane({ ipVersion, runner }),
      assumeFreshKernel,
    });
    for (const { key, error } of target.invalid) ctx.stderr.write(`tabby agent: skipped ${JSON.stringify(key)}: ${error}\n`);
    ctx.stdout.write(describePlan(target));
    return 0;
  }
  const logger = {
    warn: (obj: object, msg: string) => { ctx.stderr.write(`tabby agent: warning: ${msg} ${JSON.stringify(obj)}\n`); },
    debug: () => undefined,
  };
  let report: OnceReport | undefined;
  let failure: unknown;
  try {
    report = await runOnce({
      node,
      openStore: () => ctx.openDatastore(),
      dataplaneFor: (ipVersion) => createDataplane({ ipVersion, runner, logger }),
    });
  } catch (err) {
    failure = err;
  }

  if (dumpPath !== undefined) {
    const applied = report?.applied ?? (failure instanceof AgentApplyError ? failure.applied : []);
    const dump: RestoreDump = {
      node,
      revision: report?.revision ?? null,
      families: applied.map(dumpFamily),
      ...(failure === undefined ? {} : { error: errorMessage(failure) }),
    };
    try {
      await writeFile(dumpPath, JSON.stringify(dump, null, 2) + '\n');
    } catch (err) {
      ctx.stderr.write(`tabby agent: --dump-restore ${JSON.stringify(dumpPath)}: ${errorMessage(err)}\n`);
      if (failure === undefined) return 1;
    }
  }

  if (failure !== undefined) {
    if (failure instanceof UsageError) throw failure;
    ctx.stderr.write(`tabby agent: ${errorMessage(failure)}\n`);
    return 1;
  }
  const r = report!;
  for (const { key, error } of r.invalid) ctx.stderr.write(`tabby agent: skipped ${JSON.stringify(key)}: ${error}\n`);
  for (const iface of r.pendingInterfaces) {
    ctx.stderr.write(`tabby agent: interface ${iface} does not exist yet; its routes and neighbours wait for the next run\n`);
  }
  if (r.uninstall) ctx.stdout.write(`node ${r.node}: the datastore is empty; removing everything Tabby made\n`);
  for (const a of r.applied) ctx.stdout.write(describeFamily(a) + '\n');
  return 0;
}
