// Which iptables the host uses: nf_tables or legacy. Writing with the wrong one
// puts our rules in a table the kernel's other users never see, so we detect it
// the way Felix does: prefer the backend that already holds rules, else the
// one the plain `iptables` command is built for.
import type { CommandRunner } from './runner.js';
import { CommandError } from './runner.js';

export type IptablesMode = 'nft' | 'legacy';

export interface IptablesBackend {
  mode: IptablesMode;
  ipVersion: 4 | 6;
  /** e.g. `iptables-nft-save`, `ip6tables-legacy-save`. */
  save: string;
  restore: string;
  /** `iptables-restore` flags that make it wait for the xtables lock ([] when unsupported). */
  waitArgs: string[];
  /** Version of the restore binary, e.g. "1.8.9". */
  version: string;
}

export interface DetectOptions {
  /** Force a backend instead of detecting it. */
  mode?: IptablesMode | 'auto';
}

const VERSION = /v(\d+)\.(\d+)\.(\d+)(?:\s+\((nf_tables|legacy)\))?/;

function parseVersion(text: string): { version: [number, number, number]; mode?: IptablesMode } | undefined {
  const m = VERSION.exec(text);
  if (!m) return undefined;
  const mode = m[4] === 'nf_tables' ? 'nft' : m[4] === 'legacy' ? 'legacy' : undefined;
  return { version: [Number(m[1]), Number(m[2]), Number(m[3])], mode };
}

/** Rules (`-A` lines) one backend holds in all its tables, or undefined if its tool is missing. */
async function countRules(runner: CommandRunner, command: string): Promise<number | undefined> {
  try {
    const { stdout } = await runner.run(command, []);
    return stdout.split('\n').filter((l) => l.startsWith('-A ')).length;
  } catch (err) {
    if (err instanceof CommandError) return undefined;
    throw err;
  }
}

async function versionOf(runner: CommandRunner, command: string) {
  try {
    const { stdout, stderr } = await runner.run(command, ['--version']);
    return parseVersion(stdout + stderr);
  } catch (err) {
    if (err instanceof CommandError) return undefined;
    throw err;
  }
}

/** `--wait` appeared in iptables-restore 1.6.2. */
function supportsWait([a, b, c]: [number, number, number]): boolean {
  return a > 1 || (a === 1 && (b > 6 || (b === 6 && c >= 2)));
}

export async function detectBackend(
  runner: CommandRunner,
  ipVersion: 4 | 6,
  options: DetectOptions = {},
): Promise<IptablesBackend> {
  const tool = ipVersion === 4 ? 'iptables' : 'ip6tables';
  let mode: IptablesMode;
  if (options.mode && options.mode !== 'auto') {
    mode = options.mode;
  } else {
    // Count both families so that IPv4 and IPv6 always agree on the backend.
    const [legacy4, legacy6, nft4, nft6] = await Promise.all([
      countRules(runner, 'iptables-legacy-save'),
      countRules(runner, 'ip6tables-legacy-save'),
      countRules(runner, 'iptables-nft-save'),
      countRules(runner, 'ip6tables-nft-save'),
    ]);
    const legacy = legacy4 === undefined && legacy6 === undefined ? undefined : (legacy4 ?? 0) + (legacy6 ?? 0);
    const nft = nft4 === undefined && nft6 === undefined ? undefined : (nft4 ?? 0) + (nft6 ?? 0);
    if (legacy === undefined && nft === undefined) {
      const plain = await versionOf(runner, tool);
      if (!plain) throw new Error(`${tool}: not found, and neither ${tool}-nft nor ${tool}-legacy is installed`);
      return backendFor(plain.mode ?? 'legacy', ipVersion, runner, /* split binaries */ false);
    }
    if (legacy === undefined) mode = 'nft';
    else if (nft === undefined) mode = 'legacy';
    else if (legacy > nft) mode = 'legacy';
    else if (nft > legacy) mode = 'nft';
    else mode = (await versionOf(runner, tool))?.mode ?? 'nft';
  }
  return backendFor(mode, ipVersion, runner, true);
}

async function backendFor(
  mode: IptablesMode,
  ipVersion: 4 | 6,
  runner: CommandRunner,
  splitBinaries: boolean,
): Promise<IptablesBackend> {
  const tool = ipVersion === 4 ? 'iptables' : 'ip6tables';
  const save = splitBinaries ? `${tool}-${mode}-save` : `${tool}-save`;
  const restore = splitBinaries ? `${tool}-${mode}-restore` : `${tool}-restore`;
  const parsed = await versionOf(runner, restore);
  if (!parsed) throw new Error(`${restore}: not found or its version could not be read`);
  return {
    mode,
    ipVersion,
    save,
    restore,
    waitArgs: supportsWait(parsed.version) ? ['--wait'] : [],
    version: parsed.version.join('.'),
  };
}
