// The JSON shape of one scale's results (issue 7), and the targets they are judged against.
import type { ChangeKind } from './changes.js';
import type { IncrementalResult } from './incremental.js';
import type { KernelApplyResult } from './kernel-apply.js';
import type { E2eDriverResult } from './e2e-driver.js';
import type { ScaleName } from './scales.js';

export type E2eEntry = (E2eDriverResult & { reason?: undefined }) | { p50Ms: null; p99Ms: null; reason: string };

export interface ScaleResult {
  scale: ScaleName;
  cluster: {
    seed: number;
    nodes: number;
    localEndpoints: number;
    totalEndpoints: number;
    policies: number;
    profiles: number;
    distinctSelectors: number;
    datastoreKeys: number;
    /** In use on the benchmarked node. */
    activePolicies: number;
    ipSets: number;
    ipSetMembers: number;
    chains: number;
  };
  /** Median of fresh-process cold starts: listing -> desired state -> both restore texts. */
  coldStartMs: number;
  coldStart: { samples: number[]; cpuMs: number; calcMs: number; compileMs: number; renderMs: number };
  /** Largest maxRSS of those cold-start processes. */
  peakRssMb: number;
  /** iptables-restore plus ipset restore input of the cold ruleset. */
  restoreLines: number;
  restoreBytes: number;
  restore: { iptablesLines: number; iptablesBytes: number; ipsetLines: number; ipsetBytes: number };
  kernelApplyMs: number | null;
  kernelApply: KernelApplyResult | { reason: string };
  /** coldStartMs / kernelApplyMs (target <= 0.25 at M and L). */
  computeToKernelRatio: number | null;
  incremental: Record<ChangeKind, IncrementalResult>;
  /** Median from-scratch recomputation of the desired state after one change. */
  naiveMs: number;
  /** naiveMs / the slowest incremental kind's median ms. */
  speedup: number;
  e2e: { embedded: E2eEntry; etcd: E2eEntry };
  /** 1-minute load average before and after this scale ran (2 cores shared). */
  loadAverage: { before: number; after: number };
}

export interface TargetCheck {
  scale: ScaleName;
  target: string;
  value: number | null;
  met: boolean | null;
}

export function checkTargets(results: Partial<Record<ScaleName, ScaleResult>>): TargetCheck[] {
  const out: TargetCheck[] = [];
  const add = (scale: ScaleName, target: string, value: number | null, ok: (v: number) => boolean): void => {
    out.push({ scale, target, value, met: value === null ? null : ok(value) });
  };
  const m = results.M;
  if (m) {
    add('M', 'coldStartMs < 1000', m.coldStartMs, (v) => v < 1000);
    add('M', 'peakRssMb < 300', m.peakRssMb, (v) => v < 300);
    for (const [kind, r] of Object.entries(m.incremental)) add('M', `incremental.${kind}.ms < 5`, r.ms, (v) => v < 5);
    // Label changes of remote endpoints (calc delta = set members only) must give ipset add/del lines only.
    add('M', 'labelChange: members-only changes with other restore lines = 0', m.incremental.labelChange.membersOnlyViolations, (v) => v === 0);
    add('M', 'coldStartMs / kernelApplyMs <= 0.25', m.computeToKernelRatio, (v) => v <= 0.25);
    add('M', 'e2e.embedded.p99Ms < 100', m.e2e.embedded.p99Ms, (v) => v < 100);
  }
  const l = results.L;
  if (l) {
    add('L', 'coldStartMs < 5000', l.coldStartMs, (v) => v < 5000);
    add('L', 'coldStartMs / kernelApplyMs <= 0.25', l.computeToKernelRatio, (v) => v <= 0.25);
  }
  return out;
}
