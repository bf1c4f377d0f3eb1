// A real etcd for tests: one `etcd` process on 127.0.0.1 with free ports and a
// temporary data directory, stopped and removed when the test ends.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface EtcdServer {
  /** Client URL, as ETCD_ENDPOINTS takes it. */
  endpoints: string;
  /** PID of the running etcd (changes on restart). */
  readonly pid: number;
  dataDir: string;
  /** SIGTERM and wait for exit. */
  stop(): Promise<void>;
  /** SIGKILL and wait for exit: a crash. */
  kill9(): Promise<void>;
  /** Start again on the same data directory and ports; resolves when healthy. */
  restart(): Promise<void>;
  /** Compacts history before `revision` (etcdctl compaction --physical). */
  compact(revision: number): Promise<void>;
  /** Stops etcd if running and removes the data directory. */
  cleanup(): Promise<void>;
}

/** Why etcd tests cannot run here, or undefined when they can. */
export function etcdUnavailable(): string | undefined {
  for (const [bin, arg] of [['etcd', '--version'], ['etcdctl', 'version']] as const) {
    const r = spawnSync(bin, [arg], { stdio: 'ignore' });
    if (r.error || r.status !== 0) return `the ${bin} binary is not installed (Debian packages etcd-server and etcd-client)`;
  }
  return undefined;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      srv.close(() => (addr && typeof addr === 'object' ? resolve(addr.port) : reject(new Error('no port'))));
    });
  });
}

const running = new Set<ChildProcess>();
process.on('exit', () => {
  for (const p of running) p.kill('SIGKILL');
});

function exited(p: ChildProcess): Promise<void> {
  if (p.exitCode !== null || p.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => p.once('exit', () => resolve()));
}

/**
 * A test process killed outright (SIGKILL, or tap's timeout SIGTERM) runs no
 * teardown and no 'exit' handler; this small shell loop then kills its etcd and
 * removes the data directory. It ends by itself once etcd is gone.
 */
function watchdog(etcdPid: number, dataDir: string): void {
  const script = 'while kill -0 "$1" 2>/dev/null; do kill -0 "$2" 2>/dev/null || exit 0; sleep 1; done; kill -9 "$2" 2>/dev/null; rm -rf "$3"';
  const w = spawn('sh', ['-c', script, 'etcd-watchdog', String(process.pid), String(etcdPid), dataDir], { stdio: 'ignore' });
  w.unref();
}

/** Anything with tap's teardown: the test the etcd belongs to. */
export interface TeardownTarget {
  teardown(fn: () => unknown): void;
}

/**
 * Starts etcd and waits until it answers /health. Given a test, stops etcd and
 * removes its data directory when that test ends; without one, call cleanup().
 */
export async function startEtcd(t?: TeardownTarget): Promise<EtcdServer> {
  const dataDir = mkdtempSync(join(tmpdir(), 'tabby-etcd-'));
  const [clientPort, peerPort] = [await freePort(), await freePort()];
  const clientUrl = `http://127.0.0.1:${clientPort}`;
  const peerUrl = `http://127.0.0.1:${peerPort}`;
  let proc: ChildProcess | undefined;
  let stderr = '';

  const launch = async () => {
    stderr = '';
    const p = spawn(
      'etcd',
      [
        '--name', 'tabby-test',
        '--data-dir', join(dataDir, 'data'),
        '--listen-client-urls', clientUrl,
        '--advertise-client-urls', clientUrl,
        '--listen-peer-urls', peerUrl,
        '--initial-advertise-peer-urls', peerUrl,
        '--initial-cluster', `tabby-test=${peerUrl}`,
        '--logger', 'zap',
        '--log-level', 'error',
      ],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    p.stderr!.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-4000)));
    running.add(p);
    p.once('exit', () => running.delete(p));
    proc = p;
    watchdog(p.pid!, dataDir);
    const deadline = Date.now() + 20_000;
    for (;;) {
      if (p.exitCode !== null || p.signalCode !== null) throw new Error(`etcd exited while starting: ${stderr}`);
      try {
        const res = await fetch(`${clientUrl}/health`);
        if (res.ok && ((await res.json()) as { health?: string }).health === 'true') return;
      } catch {
        /* not listening yet */
      }
      if (Date.now() > deadline) throw new Error(`etcd did not become healthy in 20 s: ${stderr}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  };

  const halt = async (signal: NodeJS.Signals) => {
    const p = proc;
    if (!p) return;
    p.kill(signal);
    await exited(p);
    proc = undefined;
  };

  try {
    await launch();
  } catch (err) {
    await halt('SIGKILL');
    rmSync(dataDir, { recursive: true, force: true });
    throw err;
  }

  const server: EtcdServer = {
    endpoints: clientUrl,
    get pid() {
      return proc?.pid ?? -1;
    },
    dataDir,
    stop: () => halt('SIGTERM'),
    kill9: () => halt('SIGKILL'),
    restart: async () => {
      await halt('SIGTERM');
      await launch();
    },
    compact: async (revision: number) => {
      const r = spawnSync('etcdctl', ['--endpoints', clientUrl, 'compaction', String(revision), '--physical'], { encoding: 'utf8', env: { ...process.env, ETCDCTL_API: '3' } });
      if (r.status !== 0) throw new Error(`etcdctl compaction ${revision} failed: ${r.stderr || r.error}`);
    },
    cleanup: async () => {
      await halt('SIGKILL');
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
  t?.teardown(() => server.cleanup());
  return server;
}
