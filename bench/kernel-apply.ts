// The floor under our work: the kernel loading the cold ruleset. Each repeat makes a fresh
// network namespace, times `ipset restore` then `iptables-restore --noflush` of the texts the
// cold start rendered, and deletes the namespace (its rules and sets go with it).
import { readFileSync } from 'node:fs';
import { createNamespace, deleteNamespace, nsExec } from './netns.js';
import { median } from './stats.js';

export interface KernelApplyResult {
  /** Median of ipset restore + iptables-restore, each run through `ip netns exec`. */
  kernelApplyMs: number;
  ipsetRestoreMs: number;
  iptablesRestoreMs: number;
  /** Median cost of `ip netns exec NS true`, included twice in kernelApplyMs. */
  nsExecOverheadMs: number;
  samples: number;
}

export async function measureKernelApply(iptablesFile: string, ipsetFile: string, repeats: number): Promise<KernelApplyResult> {
  const total: number[] = [];
  const sets: number[] = [];
  const rules: number[] = [];
  const overhead: number[] = [];
  const iptablesInput = readFileSync(iptablesFile, 'utf8');
  for (let i = 0; i < repeats; i++) {
    const ns = await createNamespace('apply');
    try {
      overhead.push(await nsExec(ns, 'true', []));
      const s = await nsExec(ns, 'ipset', ['restore', '-file', ipsetFile]);
      // iptables-nft-restore reads its input from stdin (it ignores a file argument here).
      const r = await nsExec(ns, 'iptables-restore', ['--noflush', '--wait'], iptablesInput);
      sets.push(s);
      rules.push(r);
      total.push(s + r);
    } finally {
      await deleteNamespace(ns);
    }
  }
  return {
    kernelApplyMs: median(total),
    ipsetRestoreMs: median(sets),
    iptablesRestoreMs: median(rules),
    nsExecOverheadMs: median(overhead),
    samples: total.length,
  };
}
