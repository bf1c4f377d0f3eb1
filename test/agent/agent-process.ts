// `tabby agent` as a real separate process inside a network namespace
// (`ip netns exec NS node bin/tabby.js agent ...`, from dist/ after `npm run build`), with its
// JSON log lines collected, its /metrics read from inside the namespace, and calicoctl run the
// same way. `ip netns exec` execs node, so the PID we hold is the agent's own.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { promisify } from 'node:util';
import { calicoctlBin, tabbyBin } from '../helpers/paths.js';

const run = promisify(execFile);
const live = new Set<ChildProcess>();
process.on('exit', () => { for (const c of live) { try { c.kill('SIGKILL'); } catch { /* gone */ } } });

export type LogLine = Record<string, unknown> & { msg?: string; level?: number };

export class AgentProcess {
  readonly lines: LogLine[] = [];
  private readonly exited: Promise<number | null>;

  private constructor(readonly ns: string, private readonly child: ChildProcess, private readonly healthPort: number) {
    this.exited = new Promise((resolve) => child.once('exit', (code) => { live.delete(child); resolve(code); }));
    createInterface({ input: child.stdout! }).on('line', (line) => {
      try {
        this.lines.push(JSON.parse(line) as LogLine);
      } catch {
        this.lines.push({ msg: `(not JSON) ${line}` });
      }
    });
  }

  static start(ns: string, env: NodeJS.ProcessEnv, args: string[], healthPort = 9099): AgentProcess {
    const child = spawn('ip', ['netns', 'exec', ns, process.execPath, tabbyBin(), 'agent', '--health-port', String(healthPort), ...args], {
      env: { ...process.env, LOG_LEVEL: 'info', ...env },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    live.add(child);
    return new AgentProcess(ns, child, healthPort);
  }

  get pid(): number {
    return this.child.pid!;
  }

  /** Waits for a log line matching `pred` (counting from line `from`); returns it. */
  async waitForLog(what: string, pred: (l: LogLine) => boolean, timeoutMs = 20_000, from = 0): Promise<LogLine> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const hit = this.lines.slice(from).find(pred);
      if (hit) return hit;
      if (this.child.exitCode !== null) throw new Error(`agent exited (${this.child.exitCode}) while waiting for: ${what}\n${this.tail()}`);
      if (Date.now() > deadline) throw new Error(`timed out waiting for agent log: ${what}\n${this.tail()}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  tail(n = 15): string {
    return this.lines.slice(-n).map((l) => JSON.stringify(l)).join('\n');
  }

  /** GETs a path of the health server from inside the namespace. */
  async http(path: string): Promise<{ status: number; body: string }> {
    const script = `fetch(${JSON.stringify(`http://127.0.0.1:${this.healthPort}${path}`)}).then(async (r) => process.stdout.write(JSON.stringify({ status: r.status, body: await r.text() })), (e) => { process.stderr.write(String(e)); process.exit(1); })`;
    const { stdout } = await run('ip', ['netns', 'exec', this.ns, process.execPath, '-e', script]);
    return JSON.parse(stdout) as { status: number; body: string };
  }

  /** One sample of /metrics (labels as written, e.g. 'tabby_ipsets{ip_version="4"}'). */
  async metric(name: string): Promise<number | undefined> {
    const { body } = await this.http('/metrics');
    for (const line of body.split('\n')) {
      if (line.startsWith(`${name} `)) return Number(line.slice(name.length + 1));
    }
    return undefined;
  }

  async kill9(): Promise<void> {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGKILL');
    await this.exited;
  }

  /** SIGTERM and wait; resolves to the exit code. */
  async terminate(): Promise<number | null> {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGTERM');
    return this.exited;
  }
}

/** Runs calicoctl as its own process inside the namespace, with stdin as the resource file. */
export async function calicoctl(ns: string, env: NodeJS.ProcessEnv, args: string[], stdin?: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn('ip', ['netns', 'exec', ns, process.execPath, calicoctlBin(), ...args], {
      env: { ...process.env, ...env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => { out += d.toString(); });
    child.stderr.on('data', (d: Buffer) => { err += d.toString(); });
    child.once('error', reject);
    child.once('exit', (code) => (code === 0 ? resolve(out) : reject(new Error(`calicoctl ${args.join(' ')} exited ${code}: ${err}${out}`))));
    child.stdin.end(stdin ?? '');
  });
}
