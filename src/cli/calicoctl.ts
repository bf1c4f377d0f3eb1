// calicoctl: the v1 resource commands (create, apply, replace, delete, get)
// and the v0 `profile` commands, dispatched from one entry point.
import { createResourceStore, type ResourceStore } from '../datastore/resource-store.js';
import type { CliContext } from './context.js';
import { UsageError } from './v1/args.js';
import { deleteCommand } from './v1/delete.js';
import { errorMessage } from './v1/errors.js';
import { fileCommand, usageOf } from './v1/file-commands.js';
import { getCommand } from './v1/get.js';
import { DELETE_USAGE, GET_USAGE, TOP_USAGE } from './v1/usage.js';

type Command = (args: string[], ctx: CliContext) => Promise<number>;

/** The v0 profile commands' module, loaded only when `calicoctl profile` runs. */
const V0_PROFILE_MODULE = './v0/profile.js';

const COMMANDS: Record<string, Command> = {
  create: (args, ctx) => fileCommand('create', args, ctx),
  apply: (args, ctx) => fileCommand('apply', args, ctx),
  replace: (args, ctx) => fileCommand('replace', args, ctx),
  delete: deleteCommand,
  get: getCommand,
  profile: profileCommand,
};

const USAGES: Record<string, string> = {
  create: usageOf('create'),
  apply: usageOf('apply'),
  replace: usageOf('replace'),
  delete: DELETE_USAGE,
  get: GET_USAGE,
};

/** Runs calicoctl with argv (without node and script); resolves to the exit status. */
export async function main(argv: string[], ctx?: Partial<CliContext>): Promise<number> {
  const context = withDefaults(ctx);
  const [command, ...args] = argv;
  if (command === undefined) {
    context.stderr.write(TOP_USAGE);
    return 1;
  }
  if (command === '-h' || command === '--help' || command === 'help') {
    context.stdout.write(TOP_USAGE);
    return 0;
  }
  const run = COMMANDS[command];
  if (!run) {
    context.stderr.write(`Invalid command: '${command}'. Use flag '--help' to see the commands.\n\n${TOP_USAGE}`);
    return 1;
  }
  try {
    return await run(args, context);
  } catch (err) {
    if (err instanceof UsageError) {
      context.stderr.write(`Invalid option: ${err.message}\n\n${USAGES[command] ?? TOP_USAGE}`);
      return 1;
    }
    context.stderr.write(`calicoctl ${command}: ${errorMessage(err)}\n`);
    return 1;
  }
}

async function profileCommand(args: string[], ctx: CliContext): Promise<number> {
  let mod: { profileCommand?: Command };
  try {
    mod = (await import(V0_PROFILE_MODULE)) as { profileCommand?: Command };
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ERR_MODULE_NOT_FOUND') {
      ctx.stderr.write('calicoctl profile: the v0 profile commands are not part of this build\n');
      return 1;
    }
    throw err;
  }
  if (typeof mod.profileCommand !== 'function') {
    ctx.stderr.write('calicoctl profile: the v0 profile module does not export profileCommand\n');
    return 1;
  }
  return mod.profileCommand(args, ctx);
}

function withDefaults(ctx: Partial<CliContext> = {}): CliContext {
  const env = ctx.env ?? process.env;
  return {
    stdout: ctx.stdout ?? process.stdout,
    stderr: ctx.stderr ?? process.stderr,
    readStdin: ctx.readStdin ?? readProcessStdin,
    env,
    openStore: ctx.openStore ?? (() => openResourceStore(env)),
  };
}

/**
 * The store that env selects. The backends (etcd3 and its gRPC stack) load
 * only when a command needs the datastore, so help and usage errors stay fast.
 */
async function openResourceStore(env: NodeJS.ProcessEnv): Promise<ResourceStore> {
  const { openDatastore } = await import('../datastore/open.js');
  return createResourceStore(await openDatastore(env));
}

async function readProcessStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}
