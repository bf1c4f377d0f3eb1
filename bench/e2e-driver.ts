// The end-to-end measurement, run inside the benchmark's network namespace (so the agent's
// rules, its metrics port and etcd's loopback are all private to it):
//   load the cluster into the datastore, start `tabby agent` as a separate process, wait for
//   its first apply, then 200 times: write one endpoint label change that moves a remote
//   endpoint into or out of an IP set the node uses, and poll the kernel (`ipset test`) until
//   the set shows it. Latency = the write call's start to the first poll that sees the change.
// Usage: node e2e-driver.js PLAN.json; prints one JSON line (E2eDriverResult).
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { appendFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import type { RawKV } from '../src/calc/index.js';
import type { KVStore, TxnOp } from '../src/datastore/kv.js';
import { openEmbeddedStore, openEtcdStore } from '../src/datastore/open.js';
import { EtcdServer } from './etcd-server.js';
import { median, quantile } from './stats.js';

export type StoreKind = 'embedded' | 'etcd';

export interface E2ePlan {
  store: StoreKind;
  kvsFile: string;
  node: string;
  /** Node arguments that run `tabby` (a script path, or an inline module that loads a build). */
  tabbyCommand: string[];
  changes: number;
  /** Pause between changes, so each is a lone change as in a real cluster. */
  pauseMs: number;
  flip: { key: string; join: string; leave: string; ipSet: string; address: string };
}

export interface E2eDriverResult {
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  samples: number;
  /** Loading the cluster into the datastore (not part of the latency). */
  loadMs: number;
  /** Agent process start to its "first apply done" log line. */
  agentReadyMs: number;
  /** Median time one `ipset test` poll takes (the latency's resolution). */
  pollMs: number;
  /** Medians of what the agent's own "applied" log lines report for the applies after ready. */
  agent: { applies: number; calcMs: number | null; compileMs: number | null; writeMs: number | null };
}

interface AppliedLine { calcMs: number; compileMs: number; writeMs: number }

function ipsetHas(set: string, address: string): Promise<boolean> {
  return new Promise((resolve) => {
    execFile('ipset', ['-q', 'test', set, address], (err) => resolve(!err));
  });
}

function ipsetExists(set: string): Promise<boolean> {
  return new Promise((resolve) => {
    execFile('ipset', ['-q', 'list', '-n', set], (err) => resolve(!err));
  });
}

async function load(store: KVStore, kvs: RawKV[], batch: number): Promise<void> {
  for (let i = 0; i < kvs.length; i += batch) {
    const ops: TxnOp[] = kvs.slice(i, i + batch).map((kv) => ({ op: 'put', key: kv.key, value: kv.value! }));
    await store.txn(ops);
  }
}

function startAgent(plan: E2ePlan, storeArgs: string[]): { child: ChildProcess; ready: Promise<number>; log: () => string; applied: AppliedLine[] } {
  const applied: AppliedLine[] = [];
  let isReady = false;
  const start = performance.now();
  const env: NodeJS.ProcessEnv = { ...process.env, LOG_LEVEL: process.env.TABBY_AGENT_LOG_LEVEL ?? 'info' };
  delete env.ETCD_ENDPOINTS;
  delete env.TABBY_DATA_DIR;
  // Node flags for the agent alone, e.g. TABBY_AGENT_NODE_ARGS="--cpu-prof --cpu-prof-dir=/tmp/prof"
  // (--cpu-prof is not allowed in NODE_OPTIONS).
  const nodeArgs = (process.env.TABBY_AGENT_NODE_ARGS ?? '').split(/\s+/).filter((a) => a !== '');
  const child = spawn(process.execPath, [...nodeArgs, ...plan.tabbyCommand, 'agent', '--node', plan.node, '--health-port', '9099', ...storeArgs], {
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let tail = '';
  // TABBY_AGENT_LOG=FILE keeps the agent's whole log (for timing its start-up, say).
  const logFile = process.env.TABBY_AGENT_LOG;
  if (logFile) writeFileSync(logFile, '');
  const remember = (line: string): void => {
    tail = (tail + line + '\n').slice(-4000);
    if (logFile) appendFileSync(logFile, line + '\n');
  };
  child.stderr!.on('data', (d: Buffer) => remember(d.toString()));
  const ready = new Promise<number>((resolve, reject) => {
    createInterface({ input: child.stdout! }).on('line', (line) => {
      remember(line);
      try {
        const rec = JSON.parse(line) as { msg?: string } & Partial<AppliedLine>;
        if (rec.msg === 'ready: first apply done') {
          isReady = true;
          resolve(performance.now() - start);
        } else if (rec.msg === 'applied' && isReady) {
          applied.push({ calcMs: rec.calcMs ?? NaN, compileMs: rec.compileMs ?? NaN, writeMs: rec.writeMs ?? NaN });
        }
      } catch { /* not JSON */ }
    });
    child.once('exit', (code) => reject(new Error(`tabby agent exited with ${code} before its first apply: ${tail}`)));
  });
  return { child, ready, log: () => tail, applied };
}

/** With TABBY_AGENT_LOG, the driver's own steps go into the agent's log too, to line them up. */
function note(what: string, i: number): void {
  const logFile = process.env.TABBY_AGENT_LOG;
  if (logFile) appendFileSync(logFile, JSON.stringify({ driver: what, change: i, time: Date.now(), hr: performance.timeOrigin + performance.now() }) + '\n');
}

async function stopAgent(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.pid === undefined) return;
  const exited = new Promise((r) => child.once('exit', r));
  process.kill(child.pid, 'SIGTERM');
  await Promise.race([exited, new Promise((r) => setTimeout(r, 10_000))]);
  if (child.exitCode === null) process.kill(child.pid, 'SIGKILL');
}

async function main(planFile: string): Promise<E2eDriverResult> {
  const plan = JSON.parse(readFileSync(planFile, 'utf8')) as E2ePlan;
  const kvs = JSON.parse(readFileSync(plan.kvsFile, 'utf8')) as RawKV[];
  const cleanups: (() => Promise<void>)[] = [];
  try {
    let store: KVStore;
    let storeArgs: string[];
    if (plan.store === 'etcd') {
      const etcd = await EtcdServer.start();
      cleanups.unshift(() => etcd.stop());
      store = await openEtcdStore(etcd.url);
      storeArgs = ['--etcd-endpoints', etcd.url];
    } else {
      const dir = mkdtempSync(join(tmpdir(), 'tabby-bench-store-'));
      cleanups.unshift(async () => rmSync(dir, { recursive: true, force: true }));
      store = await openEmbeddedStore(dir);
      storeArgs = ['--data-dir', dir];
    }
    cleanups.unshift(() => store.close());

    const loadStart = performance.now();
    await load(store, kvs, plan.store === 'etcd' ? 100 : 1000);
    const loadMs = performance.now() - loadStart;

    const agent = startAgent(plan, storeArgs);
    cleanups.unshift(() => stopAgent(agent.child));
    const agentReadyMs = await agent.ready;
    if (!(await ipsetExists(plan.flip.ipSet))) throw new Error(`IP set ${plan.flip.ipSet} is not in the kernel after the agent's first apply`);
    if (await ipsetHas(plan.flip.ipSet, plan.flip.address)) throw new Error(`${plan.flip.address} is already in ${plan.flip.ipSet}`);

    const latencies: number[] = [];
    const polls: number[] = [];
    for (let i = 0; i < plan.changes; i++) {
      const joining = i % 2 === 0;
      const t0 = performance.now();
      note('put', i);
      await store.put(plan.flip.key, joining ? plan.flip.join : plan.flip.leave);
      note('put done', i);
      const deadline = t0 + 30_000;
      for (;;) {
        const p0 = performance.now();
        const has = await ipsetHas(plan.flip.ipSet, plan.flip.address);
        const p1 = performance.now();
        polls.push(p1 - p0);
        if (has === joining) {
          note('seen', i);
          latencies.push(p1 - t0);
          break;
        }
        if (p1 > deadline) throw new Error(`change ${i}: ${plan.flip.address} ${joining ? 'not added to' : 'not removed from'} ${plan.flip.ipSet} after 30 s; agent log: ${agent.log()}`);
      }
      await new Promise((r) => setTimeout(r, plan.pauseMs));
    }
    return {
      p50Ms: median(latencies),
      p99Ms: quantile(latencies, 0.99),
      maxMs: Math.max(...latencies),
      samples: latencies.length,
      loadMs,
      agentReadyMs,
      pollMs: median(polls),
      agent: {
        applies: agent.applied.length,
        calcMs: agent.applied.length ? median(agent.applied.map((a) => a.calcMs)) : null,
        compileMs: agent.applied.length ? median(agent.applied.map((a) => a.compileMs)) : null,
        writeMs: agent.applied.length ? median(agent.applied.map((a) => a.writeMs)) : null,
      },
    };
  } finally {
    for (const c of cleanups) await c().catch(() => undefined);
  }
}

const planFile = process.argv[2];
if (!planFile) {
  process.stderr.write('usage: e2e-driver.js PLAN.json\n');
  process.exit(2);
}
main(planFile).then(
  (r) => process.stdout.write(JSON.stringify(r) + '\n'),
  (err: unknown) => {
    process.stderr.write(`${err instanceof Error ? err.stack ?? err.message : String(err)}\n`);
    process.exitCode = 1;
  },
);
