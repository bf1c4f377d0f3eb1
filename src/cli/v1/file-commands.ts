// `calicoctl create|apply|replace -f FILE|-` (and `delete -f`): the whole file
// is parsed and validated before anything is written; then each resource is
// acted on in order, stopping at the first error.
import { parseResources } from '../../model/index.js';
import type { Resource } from '../../model/types.js';
import type { CliContext } from '../context.js';
import { readInput } from '../io.js';
import { parseArgs, flag, optionValue, UsageError, type OptionSpec } from './args.js';
import { executeSteps, failed, reportResults, stepsFor, type ConfigAction, type ConfigOptions } from './config-command.js';
import { errorMessage } from './errors.js';
import { withStore } from './session.js';
import { APPLY_USAGE, CREATE_USAGE, REPLACE_USAGE } from './usage.js';

const USAGE: Record<'create' | 'apply' | 'replace', string> = {
  create: CREATE_USAGE,
  apply: APPLY_USAGE,
  replace: REPLACE_USAGE,
};

const SPECS: Record<'create' | 'apply' | 'replace', OptionSpec[]> = {
  create: [
    { long: 'filename', short: 'f', takesValue: true },
    { long: 'skip-exists', short: 's', takesValue: false },
    { long: 'help', short: 'h', takesValue: false },
  ],
  apply: [
    { long: 'filename', short: 'f', takesValue: true },
    { long: 'help', short: 'h', takesValue: false },
  ],
  replace: [
    { long: 'filename', short: 'f', takesValue: true },
    { long: 'help', short: 'h', takesValue: false },
  ],
};

export function usageOf(action: 'create' | 'apply' | 'replace'): string {
  return USAGE[action];
}

export async function fileCommand(action: 'create' | 'apply' | 'replace', argv: readonly string[], ctx: CliContext): Promise<number> {
  const args = parseArgs(argv, SPECS[action]);
  if (flag(args, 'help')) {
    ctx.stdout.write(USAGE[action]);
    return 0;
  }
  if (args.positionals.length > 0) throw new UsageError(`unexpected argument '${args.positionals[0]}'`);
  const file = optionValue(args, 'filename');
  if (file === undefined) throw new UsageError(`calicoctl ${action} needs --filename (-f FILE, or -f - for stdin)`);
  return runFromFile(action, file, { skipExists: flag(args, 'skip-exists') }, ctx);
}

/**
 * Reads, validates and acts on every resource of FILE. An unreadable or
 * invalid file is reported and nothing is written.
 */
export async function runFromFile(action: ConfigAction, file: string, options: ConfigOptions, ctx: CliContext): Promise<number> {
  let resources: Resource[];
  try {
    resources = parseResources(await readInput(file, ctx));
  } catch (err) {
    ctx.stdout.write(`Error processing input file: ${errorMessage(err)}\n`);
    return 1;
  }
  if (resources.length === 0) {
    ctx.stdout.write(reportResults(action, { numResources: 0, numHandled: 0 }));
    return 1;
  }
  return withStore(ctx, async (store) => {
    const results = await executeSteps(stepsFor(store, action, resources), options);
    ctx.stdout.write(reportResults(action, results));
    return failed(results) ? 1 : 0;
  });
}
