// `tabby compile [--node NAME] [--ipv6] [--format restore|ipset|json]`:
// reads the whole datastore, computes this node's desired state and prints
// the compiled ruleset. Reads only; needs no root.
import { compileRuleset } from '../../../compiler/compile.js';
import { DEFAULT_MARK_MASK, marksFromMask, parseMarkMask, type CompilerConfig } from '../../../compiler/config.js';
import { CompileError } from '../../../compiler/errors.js';
import { renderIpsetRestore, renderRestore } from '../../../compiler/restore.js';
import { readDesiredState, type DatastoreSnapshot } from '../../agent/datastore-snapshot.js';
import { NAME_RE } from '../../model/names.js';
import { flag, optionValue, parseArgs, UsageError } from '../v1/args.js';
import type { TabbyContext } from '../tabby.js';

export const COMPILE_USAGE = `Usage:
  tabby compile [--node NAME] [--ipv6] [--format restore|ipset|json] [--mark-mask MASK]

Options:
  --node NAME        The node to compile for (default: $NODENAME, else the host name).
  --ipv6             Compile the IPv6 ruleset (ip6tables-restore input, cali60 sets).
  --format FORMAT    restore (default): iptables-restore input for the filter table;
                     ipset: ipset restore input; json: chains, hooks and IP sets as JSON.
  --mark-mask MASK   Packet mark bits Tabby may use, as the agent takes them
                     (default: $TABBY_MARK_MASK, else 0xffff0000).
`;

export type CompileFormat = 'restore' | 'ipset' | 'json';

/** The mark bits from --mark-mask, else TABBY_MARK_MASK, else the default mask. */
export function resolveMarks(option: string | undefined, env: NodeJS.ProcessEnv): Partial<CompilerConfig> {
  const [text, where] = option !== undefined ? [option, '--mark-mask'] : env.TABBY_MARK_MASK !== undefined && env.TABBY_MARK_MASK !== '' ? [env.TABBY_MARK_MASK, 'TABBY_MARK_MASK'] : [undefined, ''];
  if (text === undefined) return marksFromMask(DEFAULT_MARK_MASK);
  try {
    return marksFromMask(parseMarkMask(text, where));
  } catch (err) {
    if (err instanceof CompileError) throw new UsageError(`${where} ${JSON.stringify(text)} must be a 32-bit mask with at least 4 bits set, such as 0xffff0000`);
    throw err;
  }
}

/** The node name: --node, else NODENAME, else the host name; it must be a valid node name. */
export function resolveNodeName(option: string | undefined, env: NodeJS.ProcessEnv, hostname: () => string): string {
  const name = option ?? (env.NODENAME !== undefined && env.NODENAME !== '' ? env.NODENAME : hostname());
  if (!NAME_RE.test(name)) {
    throw new UsageError(`node name ${JSON.stringify(name)} must be 1-128 characters of [a-zA-Z0-9_.-]`);
  }
  return name;
}

export async function compileCommand(argv: string[], ctx: TabbyContext): Promise<number> {
  const args = parseArgs(argv, [
    { long: 'node', takesValue: true },
    { long: 'ipv6', takesValue: false },
    { long: 'format', takesValue: true },
    { long: 'mark-mask', takesValue: true },
    { long: 'help', short: 'h', takesValue: false },
  ]);
  if (flag(args, 'help')) {
    ctx.stdout.write(COMPILE_USAGE);
    return 0;
  }
  if (args.positionals.length > 0) throw new UsageError(`unexpected argument '${args.positionals[0]}'`);
  const format = optionValue(args, 'format') ?? 'restore';
  if (format !== 'restore' && format !== 'ipset' && format !== 'json') {
    throw new UsageError(`--format must be restore, ipset or json, not '${format}'`);
  }
  const node = resolveNodeName(optionValue(args, 'node'), ctx.env, ctx.hostname);
  const ipVersion = flag(args, 'ipv6') ? 6 : 4;
  const marks = resolveMarks(optionValue(args, 'mark-mask'), ctx.env);

  const store = await ctx.openDatastore();
  let snapshot: DatastoreSnapshot;
  try {
    snapshot = await readDesiredState(store, node);
  } finally {
    await store.close();
  }
  // A value that does not decode is left out, as the agent does; say so.
  for (const { key, error } of snapshot.invalid) ctx.stderr.write(`tabby compile: skipped ${JSON.stringify(key)}: ${error}\n`);
  const ruleset = compileRuleset(snapshot.state, ipVersion, marks);
  if (format === 'restore') ctx.stdout.write(renderRestore(ruleset));
  else if (format === 'ipset') ctx.stdout.write(renderIpsetRestore(ruleset));
  else ctx.stdout.write(JSON.stringify(ruleset, null, 2) + '\n');
  return 0;
}
