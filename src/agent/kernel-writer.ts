// Compiles the desired state for each address family and applies it through the dataplane.
// The dataplane plans the minimal change against the kernel (or against what its previous
// apply left, when nothing is suspected to have changed behind its back), so an agent that
// starts over rules it or an earlier instance wrote adopts them and writes only differences:
// nothing is flushed first.
import { compileRuleset, recompileIpSetMembers } from '../../compiler/compile.js';
import { marksFromMask, type CompilerConfig } from '../../compiler/config.js';
import type { DesiredState } from '../../compiler/desired-state.js';
import type { Ruleset } from '../../compiler/ruleset.js';
import type { Dataplane } from '../../dataplane/dataplane.js';
import type { DesiredStateDelta } from '../calc/index.js';
import { emptyRuleset, wantsIpv6 } from './desired.js';

export interface WriteOptions {
  /** Re-read the kernel instead of trusting the state the previous apply left (repairs drift). */
  reread: boolean;
  /**
   * The datastore holds nothing at all: remove everything Tabby made (as `tabby agent --once`
   * does), rather than keep static chains for a node that has no data.
   */
  uninstall: boolean;
  /**
   * What changed in `state` since the previous write (calc's delta). When it holds nothing but
   * IP set member changes, the previous rulesets are reused with just those sets recompiled.
   */
  delta?: DesiredStateDelta;
}

/** True when a delta changes IP set members and nothing else (no chain can differ). */
export function onlyIpSetMembers(d: DesiredStateDelta): boolean {
  return d.endpointsChanged.size === 0 && d.endpointsRemoved.size === 0
    && d.policiesChanged.size === 0 && d.policiesRemoved.size === 0
    && d.profilesChanged.size === 0 && d.profilesRemoved.size === 0
    && d.ipSetsCreated.size === 0 && d.ipSetsDeleted.size === 0;
}

export interface WriteReport {
  /** Anything written to iptables or ipset. */
  changed: boolean;
  chainsTouched: number;
  compileMs: number;
  writeMs: number;
  ipSets: { ipVersion: 4 | 6; sets: number; members: number }[];
  /** Local endpoints whose interface does not exist yet (plumbing to retry). */
  pendingInterfaces: string[];
  /** Routes and neighbour entries added or removed. */
  plumbingChanges: number;
}

export class KernelWriter {
  private readonly compilerConfig: Partial<CompilerConfig>;
  /** The ruleset each family was last compiled to (from the state of the previous write). */
  private readonly lastCompiled = new Map<4 | 6, Ruleset>();

  constructor(private readonly dataplanes: readonly Dataplane[], markMask: number) {
    // One object for the agent's life: the compiler memoises per config object.
    this.compilerConfig = marksFromMask(markMask);
  }

  async write(state: DesiredState, options: WriteOptions): Promise<WriteReport> {
    const start = performance.now();
    // Compile synchronously: `state` is a live view of the calc graph.
    // A re-read (the periodic refresh) also compiles from scratch, whatever the delta says.
    const membersOnly = options.delta !== undefined && !options.reread && onlyIpSetMembers(options.delta) ? options.delta : undefined;
    const rulesets = this.dataplanes.map((dp) => this.rulesetFor(dp.ipVersion, state, options.uninstall, membersOnly));
    const endpoints = options.uninstall ? [] : [...state.endpoints.values()];
    const compiled = performance.now();
    if (options.reread) for (const dp of this.dataplanes) dp.invalidate();
    const results = await Promise.all(this.dataplanes.map((dp, i) => dp.apply(rulesets[i]!, { endpoints, useCache: true })));
    const done = performance.now();
    const pending = new Set<string>();
    let plumbingChanges = 0;
    for (const r of results) {
      for (const p of r.plumbing?.pendingInterfaces ?? []) pending.add(p);
      plumbingChanges += (r.plumbing?.routesAdded.length ?? 0) + (r.plumbing?.routesRemoved.length ?? 0)
        + (r.plumbing?.neighboursAdded.length ?? 0) + (r.plumbing?.neighboursRemoved.length ?? 0);
    }
    return {
      changed: results.some((r) => r.changed),
      chainsTouched: results.reduce((n, r) => n + r.chainsTouched.length, 0),
      compileMs: compiled - start,
      writeMs: done - compiled,
      ipSets: rulesets.map((r) => ({ ipVersion: r.ipVersion, sets: r.ipSets.length, members: r.ipSets.reduce((n, s) => n + s.members.length, 0) })),
      pendingInterfaces: [...pending].sort(),
      plumbingChanges,
    };
  }

  /**
   * The same choice as `tabby agent --once` (src/agent/desired.ts): IPv4 always; IPv6 rules only
   * while a local endpoint has an IPv6 address, else the empty ruleset, which removes what Tabby
   * left there and costs nothing once it is gone.
   */
  private rulesetFor(ipVersion: 4 | 6, state: DesiredState, uninstall: boolean, membersOnly: DesiredStateDelta | undefined): Ruleset {
    const previous = this.lastCompiled.get(ipVersion);
    this.lastCompiled.delete(ipVersion); // until this compile succeeds
    if (uninstall || (ipVersion === 6 && !wantsIpv6(state))) return emptyRuleset(ipVersion);
    const ruleset = previous && membersOnly
      ? recompileIpSetMembers(previous, state, membersOnly.ipSetMembers.keys(), this.compilerConfig)
      : compileRuleset(state, ipVersion, this.compilerConfig);
    this.lastCompiled.set(ipVersion, ruleset);
    return ruleset;
  }
}
