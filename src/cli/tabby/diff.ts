// `tabby diff [--node NAME]`: a unified diff, per IP version, from what the
// kernel holds (Tabby's cali-* chains, hook rules, IP sets, workload routes and
// neighbours) to what `tabby agent --once` would make of it. Exit 0 when in
// sync, 1 when not (or on error). Only reads: the datastore, iptables-save,
// ipset save and `ip ... show`.
import { diffRuleset } from '../../../dataplane/diff.js';
import { createDataplane } from '../../../dataplane/dataplane.js';
import { diffPlumbing } from '../../../dataplane/plumbing-diff.js';
import { createCommandRunner } from '../../../dataplane/runner.js';
import type { NodeTarget } from '../../agent/desired.js';
import { resolveNodeTarget } from '../../agent/desired.js';
import { flag, optionValue, parseArgs, UsageError } from '../v1/args.js';
import type { TabbyContext } from '../tabby.js';
import { resolveNodeName } from './compile.js';

export const DIFF_USAGE = `Usage:
  tabby diff [--node NAME]

Shows, as a unified diff per IP version, how the kernel's cali-* chains, hook
rules, IP sets, workload routes and neighbours differ from what
\`tabby agent --once\` would apply. Changes nothing.
Exit status: 0 in sync, 1 not in sync or an error.

Options:
  --node NAME  The node to compare for (default: $NODENAME, else the host name).
`;

/** The whole diff text of a resolved target; '' when the kernel is in sync. */
export async function diffTarget(target: NodeTarget): Promise<string> {
  const parts: string[] = [];
  for (const family of target.families) {
    parts.push(diffRuleset(family.current, family.ruleset));
    parts.push(diffPlumbing(await family.dataplane.readPlumbing(), target.endpoints, family.ipVersion));
  }
  return parts.join('');
}

export async function diffCommand(argv: string[], ctx: TabbyContext): Promise<number> {
  const args = parseArgs(argv, [
    { long: 'node', takesValue: true },
    { long: 'help', short: 'h', takesValue: false },
  ]);
  if (flag(args, 'help')) {
    ctx.stdout.write(DIFF_USAGE);
    return 0;
  }
  if (args.positionals.length > 0) throw new UsageError(`unexpected argument '${args.positionals[0]}'`);
  const node = resolveNodeName(optionValue(args, 'node'), ctx.env, ctx.hostname);

  const runner = createCommandRunner();
  const store = await ctx.openDatastore();
  let target: NodeTarget;
  try {
    target = await resolveNodeTarget({ store, node, dataplaneFor: (ipVersion) => createDataplane({ ipVersion, runner }) });
  } finally {
    await store.close();
  }
  for (const { key, error } of target.invalid) ctx.stderr.write(`tabby diff: skipped ${JSON.stringify(key)}: ${error}\n`);
  const text = await diffTarget(target);
  ctx.stdout.write(text);
  return text === '' ? 0 : 1;
}
