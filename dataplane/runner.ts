// The one door to the kernel's command-line tools (iptables-save/-restore,
// ipset, ip, sysctl). Everything in dataplane/ takes a CommandRunner, so unit
// tests inject a fake and see the exact arguments and stdin without root.
import { execa } from 'execa';

export interface CommandResult {
  stdout: string;
  stderr: string;
  exitCode: number;
}

export interface RunOptions {
  /** Text written to the command's standard input. */
  input?: string;
  /** Exit codes that count as success (default [0]). */
  okExitCodes?: readonly number[];
}

export interface CommandRunner {
  /** Runs `command args...`; rejects with CommandError on a failing exit code. */
  run(command: string, args: readonly string[], options?: RunOptions): Promise<CommandResult>;
}

/** A command that could not run or exited with an unexpected status. */
export class CommandError extends Error {
  constructor(
    readonly command: string,
    readonly args: readonly string[],
    readonly exitCode: number | undefined,
    readonly stdout: string,
    readonly stderr: string,
    detail?: string,
  ) {
    const why = detail ?? (exitCode === undefined ? 'did not run' : `exited with status ${exitCode}`);
    const err = stderr.trim();
    super(`${[command, ...args].join(' ')}: ${why}${err ? `: ${err}` : ''}`);
    this.name = 'CommandError';
  }
}

export interface CommandRunnerOptions {
  /** Run every command inside this named network namespace (`ip netns exec NS ...`). */
  netns?: string;
  /** Kill a command that runs longer than this (default 60 s). */
  timeoutMs?: number;
}

const NETNS_NAME = /^[A-Za-z0-9_.-]{1,64}$/;

/** A runner that executes real commands, optionally inside a network namespace. */
export function createCommandRunner(options: CommandRunnerOptions = {}): CommandRunner {
  const { netns, timeoutMs = 60_000 } = options;
  if (netns !== undefined && (!NETNS_NAME.test(netns) || netns.startsWith('.'))) {
    throw new Error(`netns: invalid network namespace name ${JSON.stringify(netns)}`);
  }
  return {
    async run(command, args, runOptions = {}) {
      const [file, argv] = netns === undefined
        ? [command, [...args]]
        : ['ip', ['netns', 'exec', netns, command, ...args]];
      const result = await execa(file, argv, {
        input: runOptions.input ?? '',
        reject: false,
        timeout: timeoutMs,
        stripFinalNewline: false,
        // Stable, parseable messages whatever the host's locale.
        env: { LC_ALL: 'C' },
      });
      const stdout = String(result.stdout ?? '');
      const stderr = String(result.stderr ?? '');
      const ok = runOptions.okExitCodes ?? [0];
      if (result.exitCode === undefined || !ok.includes(result.exitCode)) {
        const detail = result.timedOut
          ? `timed out after ${timeoutMs} ms`
          : result.exitCode === undefined ? (result.shortMessage ?? 'did not run') : undefined;
        throw new CommandError(command, args, result.exitCode, stdout, stderr, detail);
      }
      return { stdout, stderr, exitCode: result.exitCode };
    },
  };
}
