// Running calicoctl in tests: in-process through main() with captured
// stdout/stderr/exit status, on a chosen datastore (a memory KV, the embedded
// store in a temporary TABBY_DATA_DIR, or an etcd), or as the real built
// bin/calicoctl.js in a child process.
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main } from '../../src/cli/calicoctl.js';
import type { KVStore } from '../../src/datastore/kv.js';
import { createResourceStore, type ResourceStore } from '../../src/datastore/resource-store.js';
import { memoryKV, type MemoryKV } from './memory-kv.js';
import { calicoctlBin } from './paths.js';

export interface CliResult {
  status: number;
  stdout: string;
  stderr: string;
}

export interface CliRunner {
  /** Runs `calicoctl <argv...>` with `stdin` as standard input. */
  run(argv: readonly string[], stdin?: string): Promise<CliResult>;
  /** Runs `calicoctl <words>`: the line is split at whitespace (no quoting). */
  sh(line: string, stdin?: string): Promise<CliResult>;
}

interface Teardown {
  teardown(fn: () => unknown): void;
}

/**
 * calicoctl's main() with output captured. `openStore` is what each command
 * opens (and closes when it ends); without it main() opens the store that
 * `env` selects, as the real binary does.
 */
export function inProcessCalicoctl(env: NodeJS.ProcessEnv, openStore?: () => Promise<ResourceStore>): CliRunner {
  const run = async (argv: readonly string[], stdin = ''): Promise<CliResult> => {
    let stdout = '';
    let stderr = '';
    const status = await main([...argv], {
      stdout: { write: (s: string) => (stdout += s) },
      stderr: { write: (s: string) => (stderr += s) },
      readStdin: async () => stdin,
      env,
      ...(openStore ? { openStore } : {}),
    });
    return { status, stdout, stderr };
  };
  return { run, sh: (line, stdin) => run(splitWords(line), stdin) };
}

/**
 * calicoctl on one in-memory KV shared by every command of the runner. Each
 * command closes its store as the real one does; the KV survives that, and
 * `opened`/`closed` count the sessions so tests can check none is leaked.
 */
export function memoryCalicoctl(kv: MemoryKV = memoryKV()): CliRunner & { kv: MemoryKV; sessions: { opened: number; closed: number } } {
  const sessions = { opened: 0, closed: 0 };
  const openStore = async (): Promise<ResourceStore> => {
    sessions.opened++;
    return createResourceStore(sessionView(kv, () => sessions.closed++));
  };
  return { ...inProcessCalicoctl({}, openStore), kv, sessions };
}

/** The KV with close() counted rather than passed on, so the next command finds the same data. */
function sessionView(kv: KVStore, onClose: () => void): KVStore {
  return {
    get: (key) => kv.get(key),
    list: (prefix) => kv.list(prefix),
    put: (key, value, opts) => kv.put(key, value, opts),
    delete: (key, opts) => kv.delete(key, opts),
    txn: (ops) => kv.txn(ops),
    watch: (prefix, from, handlers) => kv.watch(prefix, from, handlers),
    close: async () => onClose(),
  };
}

/** A new empty TABBY_DATA_DIR, removed when the test ends. */
export async function tempDataDir(t: Teardown, label = 'tabby-cli-v1-'): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), label));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

/** The environment that selects the embedded store in `dataDir` (no etcd). */
export function embeddedEnv(dataDir: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, TABBY_DATA_DIR: dataDir };
  delete env.ETCD_ENDPOINTS;
  return env;
}

/** The environment that selects the etcd at `endpoints` (comma-separated URLs). */
export function etcdEnv(endpoints: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, ETCD_ENDPOINTS: endpoints };
  delete env.TABBY_DATA_DIR;
  return env;
}

/** calicoctl through main() on a fresh embedded store, as the binary would open it. */
export async function embeddedCalicoctl(t: Teardown): Promise<CliRunner & { dataDir: string }> {
  const dataDir = await tempDataDir(t);
  return { ...inProcessCalicoctl(embeddedEnv(dataDir)), dataDir };
}

/**
 * The built bin/calicoctl.js (it imports dist/, so run `npm run build` first)
 * in a child process with `env` as its whole environment.
 */
export function spawnCalicoctl(env: NodeJS.ProcessEnv): CliRunner {
  const run = (argv: readonly string[], stdin = ''): Promise<CliResult> =>
    new Promise((resolve, reject) => {
      const child = spawn(process.execPath, [calicoctlBin(), ...argv], { env, stdio: ['pipe', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
      child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
      child.on('error', reject);
      child.on('close', (code, signal) => {
        if (code === null) reject(new Error(`calicoctl ${argv.join(' ')} ended by signal ${signal}`));
        else resolve({ status: code, stdout, stderr });
      });
      child.stdin.end(stdin);
    });
  return { run, sh: (line, stdin) => run(splitWords(line), stdin) };
}

function splitWords(line: string): string[] {
  const words = line.trim().split(/\s+/);
  if (words[0] === 'calicoctl') words.shift();
  return words;
}
