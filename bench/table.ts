// The printed summary: one row per measurement, one column per scale, then the targets.
import { CHANGE_KINDS } from './changes.js';
import type { ScaleResult, TargetCheck } from './result.js';
import type { ScaleName } from './scales.js';

const fmt = (v: number | null | undefined, digits = 1): string => (v === null || v === undefined ? 'n/a' : v.toFixed(digits));

export function renderTable(results: Partial<Record<ScaleName, ScaleResult>>, targets: TargetCheck[]): string {
  const scales = (['S', 'M', 'L'] as const).filter((s) => results[s]);
  const rows: [string, (r: ScaleResult) => string][] = [
    ['local / total endpoints', (r) => `${r.cluster.localEndpoints} / ${r.cluster.totalEndpoints}`],
    ['policies (active on node)', (r) => `${r.cluster.policies} (${r.cluster.activePolicies})`],
    ['distinct selectors', (r) => String(r.cluster.distinctSelectors)],
    ['IP sets / members on node', (r) => `${r.cluster.ipSets} / ${r.cluster.ipSetMembers}`],
    ['coldStartMs', (r) => fmt(r.coldStartMs)],
    ['  of which CPU ms', (r) => fmt(r.coldStart.cpuMs)],
    ['peakRssMb', (r) => fmt(r.peakRssMb)],
    ['restoreLines', (r) => String(r.restoreLines)],
    ['restoreBytes', (r) => String(r.restoreBytes)],
    ['kernelApplyMs', (r) => fmt(r.kernelApplyMs)],
    ['compute / kernel', (r) => fmt(r.computeToKernelRatio, 2)],
    ...CHANGE_KINDS.map((k): [string, (r: ScaleResult) => string] => [
      `${k} ms (deltaLines)`, (r) => `${fmt(r.incremental[k].ms, 3)} (${r.incremental[k].deltaLines})`,
    ]),
    ['  then compile / plan ms (labelChange)', (r) => `${fmt(r.incremental.labelChange.compileMs)} / ${fmt(r.incremental.labelChange.planMs)}`],
    ['naiveMs', (r) => fmt(r.naiveMs)],
    ['speed-up (naive / slowest kind)', (r) => `${fmt(r.speedup, 0)}x`],
    ['e2e embedded p50 / p99 ms', (r) => `${fmt(r.e2e.embedded.p50Ms)} / ${fmt(r.e2e.embedded.p99Ms)}`],
    ['e2e etcd p50 / p99 ms', (r) => `${fmt(r.e2e.etcd.p50Ms)} / ${fmt(r.e2e.etcd.p99Ms)}`],
    ['e2e agent calc/compile/write ms (embedded)', (r) => {
      const e = r.e2e.embedded;
      return e.reason === undefined ? `${fmt(e.agent.calcMs)}/${fmt(e.agent.compileMs)}/${fmt(e.agent.writeMs)}` : 'n/a';
    }],
    ['load avg (before, after)', (r) => `${fmt(r.loadAverage.before, 2)}, ${fmt(r.loadAverage.after, 2)}`],
  ];
  const cells = [['', ...scales], ...rows.map(([name, f]) => [name, ...scales.map((s) => f(results[s]!))])];
  const widths = cells[0]!.map((_, i) => Math.max(...cells.map((row) => row[i]!.length)));
  const line = (row: string[]): string => row.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  const out = cells.map(line);
  const notes: string[] = [];
  for (const s of scales) {
    const r = results[s]!;
    if ('reason' in r.kernelApply) notes.push(`${s} kernelApplyMs: ${r.kernelApply.reason}`);
    for (const store of ['embedded', 'etcd'] as const) {
      const e = r.e2e[store];
      if (e.reason !== undefined) notes.push(`${s} e2e.${store}: ${e.reason}`);
    }
  }
  if (targets.length > 0) {
    out.push('', 'Targets:');
    for (const t of targets) out.push(`  ${t.met === null ? 'n/a ' : t.met ? 'met ' : 'MISS'}  ${t.scale}  ${t.target}: ${fmt(t.value, 3)}`);
  }
  if (notes.length > 0) out.push('', 'Not measured:', ...notes.map((n) => `  ${n}`));
  return out.join('\n') + '\n';
}
