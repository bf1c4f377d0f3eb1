// Command-line options of the v1 resource commands, parsed the way calicoctl's
// docopt accepts them: `-f FILE`, `-fFILE`, `--filename FILE`,
// `--filename=FILE`, options before or after positionals, `--` ends options.

/** A command line that does not fit the command's usage; printed with the usage text. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

export interface OptionSpec {
  /** Long name without dashes, e.g. "filename". */
  long: string;
  /** One-letter short name, e.g. "f". */
  short?: string;
  /** True when the option takes a value. */
  takesValue: boolean;
}

export interface ParsedArgs {
  /** Options by long name: the value, or true for flags. */
  options: Map<string, string | true>;
  positionals: string[];
}

export function parseArgs(argv: readonly string[], specs: readonly OptionSpec[]): ParsedArgs {
  const options = new Map<string, string | true>();
  const positionals: string[] = [];
  const byLong = new Map(specs.map((s) => [s.long, s]));
  const byShort = new Map(specs.filter((s) => s.short).map((s) => [s.short!, s]));

  const set = (spec: OptionSpec, value: string | true): void => {
    if (options.has(spec.long)) throw new UsageError(`option --${spec.long} given more than once`);
    options.set(spec.long, value);
  };

  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--') {
      positionals.push(...argv.slice(i + 1));
      break;
    }
    if (arg.startsWith('--')) {
      const eq = arg.indexOf('=');
      const name = eq === -1 ? arg.slice(2) : arg.slice(2, eq);
      const spec = byLong.get(name);
      if (!spec) throw new UsageError(`unknown option '${arg}'`);
      if (!spec.takesValue) {
        if (eq !== -1) throw new UsageError(`option --${name} takes no value`);
        set(spec, true);
      } else if (eq !== -1) {
        set(spec, arg.slice(eq + 1));
      } else {
        const value = argv[++i];
        if (value === undefined) throw new UsageError(`option --${name} needs a value`);
        set(spec, value);
      }
      continue;
    }
    if (arg.startsWith('-') && arg !== '-') {
      // A cluster of short flags (`-sf FILE`), the last of which may take a value.
      for (let j = 1; j < arg.length; j++) {
        const spec = byShort.get(arg[j]!);
        if (!spec) throw new UsageError(`unknown option '-${arg[j]}'`);
        if (!spec.takesValue) {
          set(spec, true);
          continue;
        }
        let value = arg.slice(j + 1);
        if (value.startsWith('=')) value = value.slice(1);
        if (value === '') {
          const next = argv[++i];
          if (next === undefined) throw new UsageError(`option -${spec.short} needs a value`);
          value = next;
        }
        set(spec, value);
        break;
      }
      continue;
    }
    positionals.push(arg);
  }
  return { options, positionals };
}

export function optionValue(args: ParsedArgs, long: string): string | undefined {
  const v = args.options.get(long);
  return typeof v === 'string' ? v : undefined;
}

export function flag(args: ParsedArgs, long: string): boolean {
  return args.options.get(long) === true;
}
