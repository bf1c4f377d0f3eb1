// A helper process living inside one network namespace: it listens on TCP/UDP
// ports (answering every connection and datagram) and runs probes from that
// namespace on request, so a probe costs a message rather than a process start.
// Started with `ip netns exec NS node -e SCRIPT`; `ip` execs node, so the PID
// we hold is node's own and is what we kill at the end.
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';

/** ICMP echo with a raw socket in plain Perl (perl-base is on every Debian host; ping is not). */
const ICMP_PERL = String.raw`
use strict;
my ($dst, $timeout) = @ARGV;
socket(my $s, 2, 3, 1) or die "socket: $!";
my $id = $$ & 0xffff;
my $pkt = pack('C C n n n a*', 8, 0, 0, $id, 1, 'tabby-probe!');
my $sum = 0; $sum += $_ for unpack('n*', $pkt);
$sum = ($sum >> 16) + ($sum & 0xffff); $sum += $sum >> 16;
substr($pkt, 2, 2) = pack('n', ~$sum & 0xffff);
send($s, $pkt, 0, pack('S n C4 x8', 2, 0, split(/\./, $dst))) or die "send: $!";
my $left = $timeout;
while ($left > 0) {
  my $rin = ''; vec($rin, fileno($s), 1) = 1;
  my ($n, $rest) = select(my $rout = $rin, undef, undef, $left);
  last if !$n;
  $left = $rest;
  recv($s, my $buf, 2048, 0) or next;
  my $ihl = (ord(substr($buf, 0, 1)) & 15) * 4;
  my ($type, $code, $ck, $rid) = unpack('C C n n', substr($buf, $ihl, 6));
  my $src = join('.', unpack('C4', substr($buf, 12, 4)));
  exit 0 if $type == 0 && $rid == $id && $src eq $dst;
}
exit 1;
`;

const AGENT_JS = String.raw`
const net = require('node:net');
const dgram = require('node:dgram');
const { execFile } = require('node:child_process');
const ICMP = ${JSON.stringify(ICMP_PERL)};
const reply = (msg) => process.stdout.write(JSON.stringify(msg) + '\n');
const servers = [];
function listen(proto, port) {
  return new Promise((resolve, reject) => {
    if (proto === 'tcp') {
      const srv = net.createServer((sock) => { sock.on('error', () => {}); sock.end('tabby-ok\n'); });
      srv.on('error', reject);
      srv.listen({ port, host: '0.0.0.0' }, () => { servers.push(srv); resolve(); });
    } else {
      const sock = dgram.createSocket('udp4');
      sock.on('message', (m, rinfo) => sock.send(Buffer.concat([Buffer.from('tabby-ok:'), m]), rinfo.port, rinfo.address));
      sock.on('error', reject);
      sock.bind(port, '0.0.0.0', () => { servers.push(sock); resolve(); });
    }
  });
}
function tcp(host, port, timeoutMs) {
  return new Promise((resolve) => {
    const sock = net.connect({ host, port });
    const done = (outcome, detail) => { clearTimeout(timer); sock.destroy(); resolve({ outcome, detail }); };
    const timer = setTimeout(() => done('deny', 'timeout'), timeoutMs);
    sock.on('connect', () => done('allow'));
    sock.on('error', (e) => done(e.code === 'ECONNREFUSED' ? 'refused' : 'error', e.code || e.message));
  });
}
function udp(host, port, timeoutMs) {
  return new Promise((resolve) => {
    const sock = dgram.createSocket('udp4');
    let timer;
    const done = (outcome, detail) => { clearTimeout(timer); try { sock.close(); } catch {} resolve({ outcome, detail }); };
    timer = setTimeout(() => done('deny', 'timeout'), timeoutMs);
    sock.on('message', (m) => done(m.toString().startsWith('tabby-ok:') ? 'allow' : 'error', 'unexpected reply'));
    sock.on('error', (e) => done(e.code === 'ECONNREFUSED' ? 'refused' : 'error', e.code || e.message));
    sock.connect(port, host, () => sock.send('probe'));
  });
}
function icmp(host, timeoutMs) {
  return new Promise((resolve) => {
    execFile('perl', ['-e', ICMP, host, String(timeoutMs / 1000)], { timeout: timeoutMs + 2000 }, (err, _o, stderr) => {
      if (!err) resolve({ outcome: 'allow' });
      else if (err.code === 1) resolve({ outcome: 'deny', detail: 'no echo reply' });
      else resolve({ outcome: 'error', detail: String(stderr || err.message).trim() });
    });
  });
}
require('node:readline').createInterface({ input: process.stdin }).on('line', async (line) => {
  const req = JSON.parse(line);
  try {
    if (req.op === 'listen') { for (const p of req.tcp) await listen('tcp', p); for (const p of req.udp) await listen('udp', p); reply({ id: req.id, ok: true }); }
    else if (req.op === 'tcp') reply({ id: req.id, ...(await tcp(req.host, req.port, req.timeoutMs)) });
    else if (req.op === 'udp') reply({ id: req.id, ...(await udp(req.host, req.port, req.timeoutMs)) });
    else if (req.op === 'icmp') reply({ id: req.id, ...(await icmp(req.host, req.timeoutMs)) });
    else reply({ id: req.id, error: 'unknown op ' + req.op });
  } catch (e) { reply({ id: req.id, error: String(e && e.message || e) }); }
}).on('close', () => process.exit(0));
reply({ ready: true });
`;

export type Outcome = 'allow' | 'deny' | 'refused' | 'error';

export interface ProbeAnswer {
  outcome: Outcome;
  detail?: string;
}

interface Pending {
  resolve(value: Record<string, unknown>): void;
  reject(err: Error): void;
}

/** Client for the helper process in one namespace. */
export class NsAgent {
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private readonly listening = new Set<string>();
  private exited = false;

  private constructor(readonly ns: string, private readonly child: ChildProcess) {}

  get pid(): number | undefined {
    return this.child.pid;
  }

  static async start(ns: string): Promise<NsAgent> {
    const child = spawn('ip', ['netns', 'exec', ns, process.execPath, '-e', AGENT_JS], {
      stdio: ['pipe', 'pipe', 'inherit'],
    });
    const agent = new NsAgent(ns, child);
    const ready = new Promise<void>((resolve, reject) => {
      child.once('error', reject);
      child.once('exit', (code) => reject(new Error(`namespace helper in ${ns} exited with ${code}`)));
      createInterface({ input: child.stdout! }).on('line', (line) => {
        const msg = JSON.parse(line) as Record<string, unknown>;
        if (msg.ready) { resolve(); return; }
        const p = agent.pending.get(msg.id as number);
        if (!p) return;
        agent.pending.delete(msg.id as number);
        if (typeof msg.error === 'string') p.reject(new Error(`${ns}: ${msg.error}`));
        else p.resolve(msg);
      });
    });
    child.on('exit', () => {
      agent.exited = true;
      for (const p of agent.pending.values()) p.reject(new Error(`namespace helper in ${ns} exited`));
      agent.pending.clear();
    });
    await ready;
    return agent;
  }

  private request(req: Record<string, unknown>): Promise<Record<string, unknown>> {
    if (this.exited) return Promise.reject(new Error(`namespace helper in ${this.ns} is not running`));
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.child.stdin!.write(JSON.stringify({ ...req, id }) + '\n');
    });
  }

  /** Listens on the ports not yet listened on. */
  async listen(tcp: number[], udp: number[]): Promise<void> {
    const newTcp = tcp.filter((p) => !this.listening.has(`tcp:${p}`));
    const newUdp = udp.filter((p) => !this.listening.has(`udp:${p}`));
    if (newTcp.length + newUdp.length === 0) return;
    await this.request({ op: 'listen', tcp: newTcp, udp: newUdp });
    for (const p of newTcp) this.listening.add(`tcp:${p}`);
    for (const p of newUdp) this.listening.add(`udp:${p}`);
  }

  async probe(proto: 'tcp' | 'udp' | 'icmp', host: string, port: number | undefined, timeoutMs: number): Promise<ProbeAnswer> {
    const msg = await this.request({ op: proto, host, port, timeoutMs });
    return { outcome: msg.outcome as Outcome, detail: msg.detail as string | undefined };
  }

  /** Kills the helper by its PID and waits for it to go. */
  async stop(): Promise<void> {
    if (this.exited || this.child.pid === undefined) return;
    const gone = new Promise<void>((resolve) => this.child.once('exit', () => resolve()));
    this.child.kill('SIGKILL');
    await gone;
  }
}
