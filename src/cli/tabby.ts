// tabby: the agent's command line. Each command lives in its own module under
// ./tabby/; `compile` is built in, `diff` and `agent` are loaded when run so
// the dispatcher does not depend on the dataplane.
import { hostname } from 'node:os';
import { openDatastore } from '../datastore/open.js';
import type { KVStore } from '../datastore/kv.js';
import { UsageError } from './v1/args.js';
import { errorMessage } from './v1/errors.js';
import { compileCommand, COMPILE_USAGE } from './tabby/compile.js';

/** What a tabby command needs from the outside world (injected in tests). */
export interface TabbyContext {
  stdout: { write(text: string): unknown };
  stderr: { write(text: string): unknown };
  env: NodeJS.ProcessEnv;
  /** Opens the key-value store chosen by env (ETCD_ENDPOINTS, else the embedded store). */
  openDatastore(): Promise<KVStore>;
  /** The machine's host name (the default node name). */
  hostname(): string;
}

export type TabbyCommand = (args: string[], ctx: TabbyContext) => Promise<number>;

export const TABBY_USAGE = `Usage:
  tabby compile [--node NAME] [--ipv6] [--format restore|ipset|json] [--mark-mask MASK]
  tabby diff [--node NAME]
  tabby agent --once [--dry-run] [--node NAME] [--dump-restore FILE]
  tabby agent [--node NAME] [--config FILE] [settings...]

Commands:
  compile   Print the ruleset this node should have (no root needed).
  diff      Show how the kernel differs from that ruleset (changes nothing).
  agent     Keep the kernel in step with the datastore until SIGTERM;
            with --once, apply once and exit. 'tabby agent --help' lists the settings.
`;

/** Commands implemented in other modules, each exporting the named function. */
const LAZY_COMMANDS: Record<string, { module: string; exportName: string }> = {
  diff: { module: './tabby/diff.js', exportName: 'diffCommand' },
  agent: { module: './tabby/agent.js', exportName: 'agentCommand' },
};

const BUILTIN_COMMANDS: Record<string, { run: TabbyCommand; usage: string }> = {
  compile: { run: compileCommand, usage: COMPILE_USAGE },
};

/** Runs tabby with argv (without node and script); resolves to the exit status. */
export async function main(argv: string[], ctx?: Partial<TabbyContext>): Promise<number> {
  const context = withDefaults(ctx);
  const [command, ...args] = argv;
  if (command === undefined) {
    context.stderr.write(TABBY_USAGE);
    return 1;
  }
  if (command === '-h' || command === '--help' || command === 'help') {
    context.stdout.write(TABBY_USAGE);
    return 0;
  }
  const builtin = BUILTIN_COMMANDS[command];
  const lazy = Object.prototype.hasOwnProperty.call(LAZY_COMMANDS, command) ? LAZY_COMMANDS[command] : undefined;
  if (!builtin && !lazy) {
    context.stderr.write(`tabby: unknown command '${command}'\n\n${TABBY_USAGE}`);
    return 1;
  }
  try {
    const run = builtin ? builtin.run : await loadCommand(command, lazy!);
    if (!run) {
      context.stderr.write(`tabby ${command}: not part of this build\n`);
      return 1;
    }
    return await run(args, context);
  } catch (err) {
    if (err instanceof UsageError) {
      context.stderr.write(`tabby ${command}: ${err.message}\n\n${builtin?.usage ?? TABBY_USAGE}`);
      return 1;
    }
    context.stderr.write(`tabby ${command}: ${errorMessage(err)}\n`);
    return 1;
  }
}

async function loadCommand(name: string, spec: { module: string; exportName: string }): Promise<TabbyCommand | undefined> {
  let mod: Record<string, unknown>;
  try {
    mod = (await import(spec.module)) as Record<string, unknown>;
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    // Only the command's own module being absent means "not built"; anything else is a real error.
    if (e.code === 'ERR_MODULE_NOT_FOUND' && String(e.message).includes(spec.module.replace('./', '/'))) return undefined;
    throw err;
  }
  const fn = mod[spec.exportName];
  if (typeof fn !== 'function') throw new Error(`module for '${name}' does not export ${spec.exportName}`);
  return fn as TabbyCommand;
}

function withDefaults(ctx: Partial<TabbyContext> = {}): TabbyContext {
  const env = ctx.env ?? process.env;
  return {
    stdout: ctx.stdout ?? process.stdout,
    stderr: ctx.stderr ?? process.stderr,
    env,
    openDatastore: ctx.openDatastore ?? (() => openDatastore(env)),
    hostname: ctx.hostname ?? hostname,
  };
}
