// One cold start in a process of its own, so its peak RSS is the agent's start-up footprint:
// read a datastore listing, build the calc graph, compile, render both restore inputs.
// Usage: node --expose-gc cold-start.js SNAPSHOT.json NODE [OUT_DIR]
// Prints one JSON line (ColdStartSample); with OUT_DIR writes iptables.txt and ipset.txt there.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createCalcGraph, type RawKV } from '../src/calc/index.js';
import { compileRuleset, DEFAULT_MARK_MASK, marksFromMask, renderIpsetRestore, renderRestore } from '../compiler/index.js';

export interface ColdStartSample {
  coldStartMs: number;
  /** CPU time (user + system) of the cold start: less sensitive than wall time to other load. */
  coldStartCpuMs: number;
  calcMs: number;
  compileMs: number;
  renderMs: number;
  /** resourceUsage().maxRSS of this process, in MB. */
  peakRssMb: number;
  iptablesLines: number;
  iptablesBytes: number;
  ipsetLines: number;
  ipsetBytes: number;
  chains: number;
  ipSets: number;
  ipSetMembers: number;
  activePolicies: number;
  localEndpoints: number;
  invalidKeys: number;
}

const lineCount = (text: string): number => (text === '' ? 0 : text.split('\n').length - 1);

function main(argv: string[]): void {
  const [file, node, outDir] = argv;
  if (!file || !node) throw new Error('usage: cold-start.js SNAPSHOT.json NODE [OUT_DIR]');
  const kvs = JSON.parse(readFileSync(file, 'utf8')) as RawKV[];
  const config = marksFromMask(DEFAULT_MARK_MASK);

  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const { graph, invalid } = createCalcGraph(node, kvs);
  graph.flush();
  const state = graph.snapshot();
  const t1 = performance.now();
  const ruleset = compileRuleset(state, 4, config);
  const t2 = performance.now();
  const iptables = renderRestore(ruleset);
  const ipset = renderIpsetRestore(ruleset);
  const t3 = performance.now();
  const cpu = process.cpuUsage(cpu0);

  const stats = graph.stats();
  const sample: ColdStartSample = {
    coldStartMs: t3 - t0,
    coldStartCpuMs: (cpu.user + cpu.system) / 1000,
    calcMs: t1 - t0,
    compileMs: t2 - t1,
    renderMs: t3 - t2,
    peakRssMb: process.resourceUsage().maxRSS / 1024,
    iptablesLines: lineCount(iptables),
    iptablesBytes: Buffer.byteLength(iptables),
    ipsetLines: lineCount(ipset),
    ipsetBytes: Buffer.byteLength(ipset),
    chains: ruleset.chains.length,
    ipSets: ruleset.ipSets.length,
    ipSetMembers: ruleset.ipSets.reduce((n, s) => n + s.members.length, 0),
    activePolicies: stats.activePolicies,
    localEndpoints: stats.localEndpoints,
    invalidKeys: invalid.length,
  };
  if (outDir) {
    writeFileSync(join(outDir, 'iptables.txt'), iptables);
    writeFileSync(join(outDir, 'ipset.txt'), ipset);
  }
  process.stdout.write(JSON.stringify(sample) + '\n');
}

main(process.argv.slice(2));
