// The kernel's state as the dataplane's own planners see it, kept in memory: each apply plans
// the minimal iptables-restore and ipset-restore inputs against what the previous apply left
// (as the agent does with the dataplane's cache), so the benchmark can measure the restore
// delta one change produces without touching the kernel.
import type { Ruleset } from '../compiler/ruleset.js';
import {
  filterTableAfter, ipSetsAfter, planIpSets, planIptables, validateRuleset,
  type FilterTable, type KernelIpSet,
} from '../dataplane/index.js';

export interface RestoreDelta {
  /** Command lines of both inputs (the `*filter` / `COMMIT` framing not counted). */
  lines: number;
  bytes: number;
  iptablesLines: number;
  ipsetLines: number;
  chainsWritten: number;
  ipSetsCreated: number;
  ipSetsUpdated: number;
  ipSetsDestroyed: number;
  /** The iptables input touched no chain and the ipset input holds only add/del lines. */
  onlyIpSetMemberLines: boolean;
}

const FRAMING = new Set(['*filter', 'COMMIT', '']);

function commandLines(text: string | null, skipFraming: boolean): string[] {
  if (text === null) return [];
  return text.split('\n').filter((l) => (skipFraming ? !FRAMING.has(l) : l !== ''));
}

export class SimulatedKernel {
  private table: FilterTable = {
    chains: new Map(['INPUT', 'FORWARD', 'OUTPUT'].map((name) => [name, { name, policy: 'ACCEPT', rules: [] }])),
  };
  private sets: Map<string, KernelIpSet> = new Map();

  /** Plans `ruleset` against the current state, records it as applied, and sizes the inputs. */
  apply(ruleset: Ruleset): RestoreDelta {
    const desired = validateRuleset(ruleset, ruleset.ipVersion);
    const ipt = planIptables(this.table, desired);
    const ips = planIpSets(this.sets, this.table, desired);
    this.table = filterTableAfter(this.table, desired, ipt);
    this.sets = ipSetsAfter(this.sets, desired, ips);
    const iptLines = commandLines(ipt.input, true);
    const setLines = [...commandLines(ips.preInput, false), ...commandLines(ips.postInput, false)];
    const all = [...iptLines, ...setLines];
    return {
      lines: all.length,
      bytes: all.reduce((n, l) => n + Buffer.byteLength(l) + 1, 0),
      iptablesLines: iptLines.length,
      ipsetLines: setLines.length,
      chainsWritten: ipt.chainsCreated.length + ipt.chainsRewritten.length + ipt.chainsDeleted.length,
      ipSetsCreated: ips.created.length,
      ipSetsUpdated: ips.updated.length + ips.swapped.length,
      ipSetsDestroyed: ips.destroyed.length,
      onlyIpSetMemberLines: iptLines.length === 0 && setLines.every((l) => /^(add|del) /.test(l)),
    };
  }
}
