// One TCP connection held open between two workload namespaces for the length of a test: an
// echo server in one, a client in the other that sends a line every 50 ms and counts echoes.
// Used to show that an agent restart never interrupts an established connection.
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';

const SERVER_JS = String.raw`
const net = require('node:net');
const srv = net.createServer((s) => { s.on('error', () => {}); s.pipe(s); });
srv.listen(Number(process.argv[1]), '0.0.0.0', () => process.stdout.write('ready\n'));
`;

const CLIENT_JS = String.raw`
const net = require('node:net');
const [host, port] = [process.argv[1], Number(process.argv[2])];
const st = { connected: false, sent: 0, echoed: 0, maxGapMs: 0, error: null, closed: false };
let last = Date.now();
let buf = '';
const sock = net.connect({ host, port }, () => {
  st.connected = true;
  last = Date.now();
  process.stdout.write(JSON.stringify({ ready: true }) + '\n');
  setInterval(() => { sock.write('ping\n'); st.sent++; }, 50);
});
sock.setTimeout(0);
sock.on('data', (d) => {
  buf += d.toString();
  let i;
  while ((i = buf.indexOf('\n')) !== -1) {
    buf = buf.slice(i + 1);
    const now = Date.now();
    st.maxGapMs = Math.max(st.maxGapMs, now - last);
    last = now;
    st.echoed++;
  }
});
sock.on('error', (e) => { st.error = e.code || e.message; });
sock.on('close', () => { st.closed = true; });
setTimeout(() => process.stdout.write(JSON.stringify({ ready: false, error: 'connect timeout' }) + '\n'), 5000).unref();
require('node:readline').createInterface({ input: process.stdin }).on('line', () => {
  process.stdout.write(JSON.stringify({ ...st, sinceLastEchoMs: Date.now() - last }) + '\n');
}).on('close', () => process.exit(0));
`;

export interface ConnectionStatus {
  connected: boolean;
  sent: number;
  echoed: number;
  /** Longest time between two echoes so far. */
  maxGapMs: number;
  sinceLastEchoMs: number;
  error: string | null;
  closed: boolean;
}

function nsNode(ns: string, script: string, args: string[]): ChildProcess {
  return spawn('ip', ['netns', 'exec', ns, process.execPath, '-e', script, ...args], { stdio: ['pipe', 'pipe', 'inherit'] });
}

export class LongConnection {
  private readonly waiting: ((s: ConnectionStatus) => void)[] = [];

  private constructor(private readonly server: ChildProcess, private readonly client: ChildProcess) {
    createInterface({ input: client.stdout! }).on('line', (line) => {
      const msg = JSON.parse(line) as ConnectionStatus & { ready?: boolean };
      if ('ready' in msg) return;
      this.waiting.shift()?.(msg);
    });
  }

  /** Starts the server in `serverNs` on `port` and connects to it from `clientNs`. */
  static async open(serverNs: string, clientNs: string, host: string, port: number): Promise<LongConnection> {
    const server = nsNode(serverNs, SERVER_JS, [String(port)]);
    await firstLine(server);
    const client = nsNode(clientNs, CLIENT_JS, [host, String(port)]);
    const hello = JSON.parse(await firstLine(client)) as { ready: boolean; error?: string };
    const conn = new LongConnection(server, client);
    if (!hello.ready) {
      await conn.close();
      throw new Error(`long connection to ${host}:${port} failed: ${hello.error}`);
    }
    return conn;
  }

  status(): Promise<ConnectionStatus> {
    return new Promise((resolve) => {
      this.waiting.push(resolve);
      this.client.stdin!.write('status\n');
    });
  }

  /** Kills both processes by PID. */
  async close(): Promise<void> {
    for (const c of [this.client, this.server]) {
      if (c.exitCode === null && c.signalCode === null) {
        const gone = new Promise((r) => c.once('exit', r));
        c.kill('SIGKILL');
        await gone;
      }
    }
  }
}

function firstLine(child: ChildProcess): Promise<string> {
  return new Promise((resolve, reject) => {
    const rl = createInterface({ input: child.stdout! });
    rl.once('line', (l) => { rl.close(); resolve(l); });
    child.once('exit', (code) => reject(new Error(`helper exited with ${code}`)));
  });
}
