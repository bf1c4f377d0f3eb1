// Runs calicoctl in-process through main() against a fresh embedded store in
// a temporary TABBY_DATA_DIR, capturing what it prints.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main } from '../../src/cli/calicoctl.js';

export interface CommandResult {
  status: number;
  stdout: string;
  stderr: string;
}

export interface Calicoctl {
  readonly dataDir: string;
  /** Runs `calicoctl <argv...>` with `stdin` as standard input. */
  run(argv: readonly string[], stdin?: string): Promise<CommandResult>;
  /** Runs `calicoctl <words of line>`: the line is split at spaces. */
  sh(line: string, stdin?: string): Promise<CommandResult>;
}

interface Teardown {
  teardown(fn: () => unknown): void;
}

/** A calicoctl on a new, empty store that is removed when the test ends. */
export async function freshCalicoctl(t: Teardown): Promise<Calicoctl> {
  const dataDir = await mkdtemp(join(tmpdir(), 'tabby-cli-v0-'));
  t.teardown(() => rm(dataDir, { recursive: true, force: true }));
  const env: NodeJS.ProcessEnv = { ...process.env, TABBY_DATA_DIR: dataDir };
  delete env.ETCD_ENDPOINTS;
  const run = async (argv: readonly string[], stdin = ''): Promise<CommandResult> => {
    let stdout = '';
    let stderr = '';
    const status = await main([...argv], {
      stdout: { write: (s: string) => (stdout += s) },
      stderr: { write: (s: string) => (stderr += s) },
      readStdin: async () => stdin,
      env,
    });
    return { status, stdout, stderr };
  };
  return { dataDir, run, sh: (line, stdin) => run(line.trim().split(/\s+/), stdin) };
}
