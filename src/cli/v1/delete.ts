// `calicoctl delete -f FILE|-` and `calicoctl delete KIND NAME` (with
// --node/--orchestrator/--workload naming an endpoint).
import type { ResourceId } from '../../datastore/resource-store.js';
import { resolveKind } from '../../model/index.js';
import type { ResourceKind } from '../../model/types.js';
import type { CliContext } from '../context.js';
import { flag, optionValue, parseArgs, UsageError, type OptionSpec } from './args.js';
import { executeSteps, failed, reportResults } from './config-command.js';
import { errorMessage } from './errors.js';
import { runFromFile } from './file-commands.js';
import { withStore } from './session.js';
import { DELETE_USAGE } from './usage.js';

const SPECS: OptionSpec[] = [
  { long: 'filename', short: 'f', takesValue: true },
  { long: 'skip-not-exists', short: 's', takesValue: false },
  { long: 'node', short: 'n', takesValue: true },
  { long: 'orchestrator', takesValue: true },
  { long: 'workload', takesValue: true },
  { long: 'help', short: 'h', takesValue: false },
];

/** The identifying options each kind needs besides its name. */
const REQUIRED_IDS: Record<ResourceKind, (keyof ResourceId)[]> = {
  profile: [],
  policy: [],
  workloadEndpoint: ['node', 'orchestrator', 'workload'],
  hostEndpoint: ['node'],
};

export async function deleteCommand(argv: readonly string[], ctx: CliContext): Promise<number> {
  const args = parseArgs(argv, SPECS);
  if (flag(args, 'help')) {
    ctx.stdout.write(DELETE_USAGE);
    return 0;
  }
  const options = { skipNotExists: flag(args, 'skip-not-exists') };
  const file = optionValue(args, 'filename');
  if (file !== undefined) {
    if (args.positionals.length > 0) throw new UsageError('give either --filename or KIND NAME, not both');
    return runFromFile('delete', file, options, ctx);
  }
  if (args.positionals.length !== 2) throw new UsageError('calicoctl delete needs KIND and NAME, or --filename');
  const [kindName, name] = args.positionals as [string, string];

  let kind: ResourceKind;
  try {
    kind = resolveKind(kindName);
  } catch (err) {
    ctx.stdout.write(`Failed to delete resource: ${errorMessage(err)}\n`);
    return 1;
  }
  const id: ResourceId = {
    name,
    node: optionValue(args, 'node'),
    orchestrator: optionValue(args, 'orchestrator'),
    workload: optionValue(args, 'workload'),
  };
  const missing = REQUIRED_IDS[kind].filter((field) => !id[field]);
  if (missing.length > 0) {
    const list = missing.map((field) => `--${field}`).join(', ');
    ctx.stdout.write(`Failed to delete '${kind}' resource: ${list} needed to identify a ${kind}\n`);
    return 1;
  }
  return withStore(ctx, async (store) => {
    const results = await executeSteps([{ kind, run: () => store.delete(kind, id) }], options);
    ctx.stdout.write(reportResults('delete', results));
    return failed(results) ? 1 : 0;
  });
}
