// Everything measured for one scale, in a process of its own (run.ts starts one per scale so
// scales do not share a heap).
// Usage: node --expose-gc scale-run.js SCALE SEED OUT.json [--no-e2e] [--only-e2e] [--store embedded|etcd]
//   --only-e2e skips cold starts, incremental and kernel apply (their keys read null / empty);
//   --store limits the end-to-end runs to one datastore.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ColdStartSample } from './cold-start.js';
import { generateCluster, type Cluster } from './cluster.js';
import { measureE2e } from './e2e.js';
import { benchScript } from './paths.js';
import { measureIncremental } from './incremental.js';
import { measureKernelApply } from './kernel-apply.js';
import { kernelUnavailableReason } from './netns.js';
import type { E2eEntry, ScaleResult } from './result.js';
import { parseScale, SCALES } from './scales.js';
import { median } from './stats.js';

const progress = (msg: string): void => { process.stderr.write(`  ${msg}\n`); };

function coldStart(snapshot: string, node: string, outDir?: string): Promise<ColdStartSample> {
  return new Promise((resolve, reject) => {
    const args = ['--expose-gc', benchScript('cold-start.js'), snapshot, node, ...(outDir ? [outDir] : [])];
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => { out += d.toString(); });
    child.stderr.on('data', (d: Buffer) => { err += d.toString(); });
    child.on('exit', (code) => (code === 0 ? resolve(JSON.parse(out) as ColdStartSample) : reject(new Error(`cold-start exited with ${code}: ${err}`))));
  });
}

const STORES = ['embedded', 'etcd'] as const;
type Store = (typeof STORES)[number];

/** `--store NAME` limits the end-to-end runs to one datastore (default: both). */
function e2eStores(argv: string[]): Store[] {
  const at = argv.indexOf('--store');
  if (at < 0) return [...STORES];
  const name = argv[at + 1];
  if (!STORES.includes(name as Store)) throw new Error(`--store: must be one of ${STORES.join(', ')}: ${JSON.stringify(name)}`);
  return [name as Store];
}

async function runE2e(cluster: Cluster, store: Store, snapshot: string, work: string): Promise<E2eEntry> {
  const o = await measureE2e(cluster, store, snapshot, work);
  const r = o.result;
  progress(`${cluster.spec.name}: e2e ${store} ${r
    ? `p50 ${r.p50Ms.toFixed(1)} ms, p99 ${r.p99Ms.toFixed(1)} ms, agent ready ${r.agentReadyMs.toFixed(0)} ms, `
      + `per apply calc ${r.agent.calcMs} / compile ${r.agent.compileMs} / write ${r.agent.writeMs} ms`
    : o.reason}`);
  return r ?? { p50Ms: null, p99Ms: null, reason: o.reason };
}

async function main(argv: string[]): Promise<void> {
  const [scaleArg, seedArg, outFile] = argv;
  if (!scaleArg || !seedArg || !outFile) throw new Error('usage: scale-run.js SCALE SEED OUT.json [--no-e2e] [--only-e2e] [--store embedded|etcd]');
  const spec = SCALES[parseScale(scaleArg)];
  const withE2e = !argv.includes('--no-e2e');
  const stores = e2eStores(argv);
  const before = loadavg()[0]!;
  const work = mkdtempSync(join(tmpdir(), `tabby-bench-${spec.name}-`));
  try {
    const cluster = generateCluster(spec, Number(seedArg));
    const snapshot = join(work, 'snapshot.json');
    writeFileSync(snapshot, JSON.stringify(cluster.kvs));
    progress(`${spec.name}: ${cluster.kvs.length} keys, ${cluster.distinctSelectors} distinct selectors`);

    if (argv.includes('--only-e2e')) {
      // A quick loop for work on the agent: the end-to-end figures alone, not a ScaleResult.
      const e2e: Partial<Record<'embedded' | 'etcd', E2eEntry>> = {};
      for (const store of stores) e2e[store] = await runE2e(cluster, store, snapshot, work);
      writeFileSync(outFile, JSON.stringify({ scale: spec.name, onlyE2e: true, e2e, loadAverage: { before, after: loadavg()[0]! } }, null, 2));
      return;
    }

    const samples: ColdStartSample[] = [];
    for (let i = 0; i < spec.coldStartRepeats; i++) samples.push(await coldStart(snapshot, cluster.node, i === 0 ? work : undefined));
    const first = samples[0]!;
    progress(`${spec.name}: cold start ${samples.map((s) => s.coldStartMs.toFixed(0)).join(', ')} ms`);

    const compute = measureIncremental(cluster, spec.name === 'L' ? 3 : 5);
    progress(`${spec.name}: incremental ${Object.entries(compute.incremental).map(([k, r]) => `${k} ${r.ms.toFixed(2)} ms`).join(', ')}; naive ${compute.naiveMs.toFixed(0)} ms`);

    const kernelWhy = kernelUnavailableReason();
    const kernelApply = kernelWhy ? { reason: kernelWhy } : await measureKernelApply(join(work, 'iptables.txt'), join(work, 'ipset.txt'), 3);
    const kernelApplyMs = 'kernelApplyMs' in kernelApply ? kernelApply.kernelApplyMs : null;
    progress(`${spec.name}: kernel apply ${kernelApplyMs === null ? kernelWhy : `${kernelApplyMs.toFixed(0)} ms`}`);

    const e2e: Record<'embedded' | 'etcd', E2eEntry> = {
      embedded: { p50Ms: null, p99Ms: null, reason: 'skipped (--no-e2e)' },
      etcd: { p50Ms: null, p99Ms: null, reason: 'skipped (--no-e2e)' },
    };
    if (withE2e) {
      for (const store of stores) e2e[store] = await runE2e(cluster, store, snapshot, work);
    }

    const coldStartMs = median(samples.map((s) => s.coldStartMs));
    const slowest = Math.max(...Object.values(compute.incremental).map((r) => r.ms));
    const result: ScaleResult = {
      scale: spec.name,
      cluster: {
        seed: cluster.seed,
        nodes: cluster.nodes,
        localEndpoints: spec.localEndpoints,
        totalEndpoints: spec.totalEndpoints,
        policies: spec.policies,
        profiles: cluster.profiles.length,
        distinctSelectors: cluster.distinctSelectors,
        datastoreKeys: cluster.kvs.length,
        activePolicies: first.activePolicies,
        ipSets: first.ipSets,
        ipSetMembers: first.ipSetMembers,
        chains: first.chains,
      },
      coldStartMs,
      coldStart: {
        samples: samples.map((s) => s.coldStartMs),
        cpuMs: median(samples.map((s) => s.coldStartCpuMs)),
        calcMs: median(samples.map((s) => s.calcMs)),
        compileMs: median(samples.map((s) => s.compileMs)),
        renderMs: median(samples.map((s) => s.renderMs)),
      },
      peakRssMb: Math.max(...samples.map((s) => s.peakRssMb)),
      restoreLines: first.iptablesLines + first.ipsetLines,
      restoreBytes: first.iptablesBytes + first.ipsetBytes,
      restore: { iptablesLines: first.iptablesLines, iptablesBytes: first.iptablesBytes, ipsetLines: first.ipsetLines, ipsetBytes: first.ipsetBytes },
      kernelApplyMs,
      kernelApply,
      computeToKernelRatio: kernelApplyMs === null ? null : coldStartMs / kernelApplyMs,
      incremental: compute.incremental,
      naiveMs: compute.naiveMs,
      speedup: compute.naiveMs / slowest,
      e2e,
      loadAverage: { before, after: loadavg()[0]! },
    };
    writeFileSync(outFile, JSON.stringify(result, null, 2));
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

main(process.argv.slice(2)).catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? err.stack ?? err.message : String(err)}\n`);
  process.exitCode = 1;
});
