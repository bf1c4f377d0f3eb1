// A real etcd for agent tests, run inside a test network namespace (the agent, calicoctl and
// etcdctl run there too, so every connection stays on that namespace's 127.0.0.1). It can be
// killed with SIGKILL, restarted on the same data directory (on the same or another client
// port: another port cuts off clients that know only the first), and compacted.
import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export class NetnsEtcd {
  private child: ChildProcess | undefined;
  private exited: Promise<void> = Promise.resolve();
  readonly dataDir: string;
  private readonly baseDir: string;
  clientPort: number;

  private constructor(readonly ns: string, clientPort: number, private readonly peerPort: number) {
    this.baseDir = mkdtempSync(join(tmpdir(), 'tabby-etcd-'));
    this.dataDir = join(this.baseDir, 'data');
    this.clientPort = clientPort;
  }

  /** Starts etcd in `ns` with a fresh data directory; resolves once it answers. */
  static async start(ns: string, clientPort = 2379, peerPort = 2380): Promise<NetnsEtcd> {
    const e = new NetnsEtcd(ns, clientPort, peerPort);
    try {
      await e.launch();
    } catch (err) {
      await e.destroy();
      throw err;
    }
    return e;
  }

  /** The URL clients use (valid inside the namespace). */
  get endpoint(): string {
    return `http://127.0.0.1:${this.clientPort}`;
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  private async launch(): Promise<void> {
    const peer = `http://127.0.0.1:${this.peerPort}`;
    const child = spawn('ip', ['netns', 'exec', this.ns, 'etcd',
      '--name', 'tabby-test',
      '--data-dir', this.dataDir,
      '--listen-client-urls', this.endpoint,
      '--advertise-client-urls', this.endpoint,
      '--listen-peer-urls', peer,
      '--initial-advertise-peer-urls', peer,
      '--initial-cluster', `tabby-test=${peer}`,
      '--log-level', 'error',
      '--logger', 'zap',
    ], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr!.on('data', (d: Buffer) => { stderr = (stderr + d.toString()).slice(-4000); });
    this.child = child;
    this.exited = new Promise((resolve) => child.once('exit', () => resolve()));
    const deadline = Date.now() + 15_000;
    for (;;) {
      if (child.exitCode !== null) throw new Error(`etcd exited with ${child.exitCode}: ${stderr}`);
      try {
        await this.etcdctl(['endpoint', 'health'], 2000);
        return;
      } catch {
        if (Date.now() > deadline) throw new Error(`etcd did not become healthy: ${stderr}`);
        await new Promise((r) => setTimeout(r, 100));
      }
    }
  }

  /** Runs etcdctl (API v3) against this etcd, inside the namespace. */
  async etcdctl(args: string[], timeoutMs = 10_000): Promise<string> {
    const { stdout } = await run('ip', ['netns', 'exec', this.ns, 'etcdctl', `--endpoints=${this.endpoint}`, ...args], {
      env: { ...process.env, ETCDCTL_API: '3' },
      timeout: timeoutMs,
    });
    return stdout;
  }

  async revision(): Promise<number> {
    const out = JSON.parse(await this.etcdctl(['endpoint', 'status', '-w', 'json'])) as { Status: { header: { revision: number } } }[];
    return out[0]!.Status.header.revision;
  }

  async compact(revision?: number): Promise<number> {
    const rev = revision ?? (await this.revision());
    await this.etcdctl(['compact', String(rev)]);
    return rev;
  }

  /** SIGKILL by PID; resolves once it is gone. */
  async kill9(): Promise<void> {
    if (this.child?.pid !== undefined && this.child.exitCode === null) this.child.kill('SIGKILL');
    await this.exited;
    this.child = undefined;
  }

  /** Starts etcd again on the same data directory (optionally on another client port). */
  async restart(clientPort = this.clientPort): Promise<void> {
    await this.kill9();
    this.clientPort = clientPort;
    await this.launch();
  }

  async destroy(): Promise<void> {
    await this.kill9();
    rmSync(this.baseDir, { recursive: true, force: true });
  }
}
