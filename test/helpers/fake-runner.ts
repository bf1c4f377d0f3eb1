// A CommandRunner that runs nothing: it records every call (command, args,
// stdin) and answers from handlers, so tests can assert the exact inputs the
// dataplane would give the kernel tools, without root.
import type { CommandResult, CommandRunner, RunOptions } from '../../dataplane/runner.js';
import { CommandError } from '../../dataplane/runner.js';

export interface RecordedCall {
  command: string;
  args: string[];
  input?: string;
}

/** Returns stdout text, a full result, or throws; undefined means "no handler matched". */
export type Handler = (call: RecordedCall) => string | CommandResult | undefined;

export class FakeRunner implements CommandRunner {
  readonly calls: RecordedCall[] = [];
  private readonly handlers: Handler[] = [];

  /** Handlers added later take precedence. */
  on(handler: Handler): this {
    this.handlers.unshift(handler);
    return this;
  }

  /** Answers `command` (optionally only when its args start with `argsPrefix`) with stdout text. */
  reply(command: string, stdout: string | (() => string), argsPrefix: string[] = []): this {
    return this.on((c) => c.command === command && argsPrefix.every((a, i) => c.args[i] === a)
      ? (typeof stdout === 'function' ? stdout() : stdout) : undefined);
  }

  /** Makes `command` fail with `stderr` the next `times` times. */
  failNext(command: string, stderr: string, times = 1): this {
    let left = times;
    return this.on((c) => {
      if (c.command !== command || left <= 0) return undefined;
      left--;
      return { stdout: '', stderr, exitCode: 1 };
    });
  }

  async run(command: string, args: readonly string[], options: RunOptions = {}): Promise<CommandResult> {
    const call: RecordedCall = { command, args: [...args], ...(options.input === undefined ? {} : { input: options.input }) };
    this.calls.push(call);
    for (const h of this.handlers) {
      const out = h(call);
      if (out === undefined) continue;
      const result = typeof out === 'string' ? { stdout: out, stderr: '', exitCode: 0 } : out;
      if (!(options.okExitCodes ?? [0]).includes(result.exitCode)) {
        throw new CommandError(command, args, result.exitCode, result.stdout, result.stderr);
      }
      return result;
    }
    throw new CommandError(command, args, undefined, '', `fake runner: no handler for ${[command, ...args].join(' ')}`);
  }

  /** Calls of one command. */
  callsOf(command: string): RecordedCall[] {
    return this.calls.filter((c) => c.command === command);
  }

  /** Calls that wrote something (a restore with input, or ip/sysctl changes). */
  writes(): RecordedCall[] {
    return this.calls.filter((c) => c.input !== undefined && c.input !== '');
  }
}
