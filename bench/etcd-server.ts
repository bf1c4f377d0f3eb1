// A throw-away etcd on 127.0.0.1 with a fresh data directory and free ports, for the
// end-to-end measurement. stop() kills it by PID and removes its directory.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openEtcdStore } from '../src/datastore/open.js';

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}

export class EtcdServer {
  private constructor(readonly url: string, private readonly child: ChildProcess, private readonly dir: string) {}

  static async start(): Promise<EtcdServer> {
    const dir = mkdtempSync(join(tmpdir(), 'tabby-bench-etcd-'));
    const [client, peer] = [await freePort(), await freePort()];
    const url = `http://127.0.0.1:${client}`;
    const peerUrl = `http://127.0.0.1:${peer}`;
    const child = spawn('etcd', [
      '--name', 'bench', '--data-dir', join(dir, 'data'),
      '--listen-client-urls', url, '--advertise-client-urls', url,
      '--listen-peer-urls', peerUrl, '--initial-advertise-peer-urls', peerUrl,
      '--initial-cluster', `bench=${peerUrl}`, '--log-level', 'error',
    ], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr!.on('data', (d: Buffer) => { stderr = (stderr + d.toString()).slice(-2000); });
    const server = new EtcdServer(url, child, dir);
    const deadline = Date.now() + 20_000;
    for (;;) {
      if (child.exitCode !== null) throw new Error(`etcd exited with ${child.exitCode}: ${stderr}`);
      try {
        const store = await openEtcdStore(url);
        await store.get('/tabby-bench/ping');
        await store.close();
        return server;
      } catch (err) {
        if (Date.now() > deadline) {
          await server.stop();
          throw new Error(`etcd did not answer on ${url} within 20 s: ${(err as Error).message} ${stderr}`);
        }
        await new Promise((r) => setTimeout(r, 200));
      }
    }
  }

  async stop(): Promise<void> {
    // A child that ended by a signal has a signalCode and no exitCode.
    const running = (): boolean => this.child.exitCode === null && this.child.signalCode === null;
    if (running() && this.child.pid !== undefined) {
      const exited = new Promise((r) => this.child.once('exit', r));
      process.kill(this.child.pid, 'SIGTERM');
      await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
      if (running()) process.kill(this.child.pid, 'SIGKILL');
    }
    rmSync(this.dir, { recursive: true, force: true });
  }
}
