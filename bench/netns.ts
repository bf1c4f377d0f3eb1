// Network namespaces and commands inside them for the kernel and end-to-end measurements.
// Every namespace made here is deleted by its creator, and at exit if a run was interrupted.
import { execFile, execFileSync } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);
const live = new Set<string>();

process.on('exit', () => {
  for (const ns of live) {
    try { execFileSync('ip', ['netns', 'del', ns], { stdio: 'ignore' }); } catch { /* already gone */ }
  }
});

/** Why kernel measurements cannot run here, or null when they can. */
export function kernelUnavailableReason(): string | null {
  if (process.getuid?.() !== 0) return 'not root: network namespaces, iptables-restore and ipset restore need root';
  for (const tool of ['ip', 'ipset', 'iptables-restore']) {
    try {
      execFileSync(tool, ['--version'], { stdio: 'ignore' });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return `${tool} is not installed`;
    }
  }
  return null;
}

let counter = 0;

export async function createNamespace(tag: string): Promise<string> {
  const ns = `tabbybench-${process.pid}-${tag}-${counter++}`;
  await run('ip', ['netns', 'add', ns]);
  live.add(ns);
  await run('ip', ['-n', ns, 'link', 'set', 'lo', 'up']);
  return ns;
}

export async function deleteNamespace(ns: string): Promise<void> {
  await run('ip', ['netns', 'del', ns]).catch(() => undefined);
  live.delete(ns);
}

/** Runs a command in the namespace; resolves with its wall time in ms. */
export async function nsExec(ns: string, command: string, args: string[], input?: string): Promise<number> {
  const start = performance.now();
  await new Promise<void>((resolve, reject) => {
    const child = execFile('ip', ['netns', 'exec', ns, command, ...args], { maxBuffer: 64 * 1024 * 1024 }, (err, _out, stderr) => {
      if (err) reject(new Error(`${command} ${args.join(' ')} in ${ns}: ${String(stderr || err.message).trim().slice(0, 500)}`));
      else resolve();
    });
    // A command that exits without reading its input (`true`, `ipset restore -file`) closes the
    // pipe: the exit status is what counts, so a failed write is not an error of its own.
    child.stdin!.on('error', () => undefined);
    if (input === undefined) child.stdin!.end();
    else child.stdin!.end(input);
  });
  return performance.now() - start;
}
