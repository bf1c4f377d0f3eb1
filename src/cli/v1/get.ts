// `calicoctl get KIND [NAME] [-o ps|wide|yaml|json]` with --node,
// --orchestrator and --workload filters for endpoints.
import { resolveKind } from '../../model/index.js';
import type { Resource, ResourceKind } from '../../model/types.js';
import type { CliContext } from '../context.js';
import { formatJson, formatYaml } from '../io.js';
import { formatTable } from '../table.js';
import { flag, optionValue, parseArgs, UsageError, type OptionSpec } from './args.js';
import { tableRows } from './columns.js';
import { errorMessage } from './errors.js';
import { withStore } from './session.js';
import { GET_USAGE } from './usage.js';

const SPECS: OptionSpec[] = [
  { long: 'output', short: 'o', takesValue: true },
  { long: 'node', short: 'n', takesValue: true },
  { long: 'orchestrator', takesValue: true },
  { long: 'workload', takesValue: true },
  { long: 'help', short: 'h', takesValue: false },
];

type OutputFormat = 'ps' | 'wide' | 'yaml' | 'json';
const FORMATS: readonly OutputFormat[] = ['ps', 'wide', 'yaml', 'json'];

export async function getCommand(argv: readonly string[], ctx: CliContext): Promise<number> {
  const args = parseArgs(argv, SPECS);
  if (flag(args, 'help')) {
    ctx.stdout.write(GET_USAGE);
    return 0;
  }
  if (args.positionals.length < 1 || args.positionals.length > 2) {
    throw new UsageError('calicoctl get needs KIND and an optional NAME');
  }
  const output = optionValue(args, 'output') ?? 'ps';
  if (!(FORMATS as readonly string[]).includes(output)) {
    ctx.stderr.write(`unrecognized output format '${output}' (one of: ${FORMATS.join(', ')})\n`);
    return 1;
  }
  const [kindName, name] = args.positionals as [string, string | undefined];
  let kind: ResourceKind;
  try {
    kind = resolveKind(kindName);
  } catch (err) {
    ctx.stdout.write(`Error getting resources: ${errorMessage(err)}\n`);
    return 1;
  }
  const filter = {
    name,
    node: optionValue(args, 'node'),
    orchestrator: optionValue(args, 'orchestrator'),
    workload: optionValue(args, 'workload'),
  };
  return withStore(ctx, async (store) => {
    let resources: Resource[];
    try {
      resources = await store.list(kind, filter);
    } catch (err) {
      ctx.stdout.write(`Error getting resources: ${errorMessage(err)}\n`);
      return 1;
    }
    ctx.stdout.write(render(kind, resources, output as OutputFormat));
    return 0;
  });
}

function render(kind: ResourceKind, resources: readonly Resource[], format: OutputFormat): string {
  switch (format) {
    case 'yaml':
      return formatYaml(resources);
    case 'json':
      return formatJson(resources);
    case 'ps':
    case 'wide':
      return formatTable(tableRows(kind, resources, format === 'wide'));
  }
}
