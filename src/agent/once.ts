// One pass of the agent (`tabby agent --once`): read the datastore, compute
// and compile this node's rulesets, apply them (IP sets, iptables, then routes
// and neighbours) family by family, and report what was written.
//
// Everything that can be checked is checked before the first write: the
// datastore read, calc, the compiler, the iptables backends, the kernel reads
// and the dataplane's validation of every family's ruleset. After that each
// family's apply is atomic (the dataplane retries and otherwise leaves the
// previous ruleset in force); if a later family fails, the error says which
// families were applied.
import type { CompilerConfig } from '../../compiler/config.js';
import type { ApplyResult, Dataplane } from '../../dataplane/dataplane.js';
import { PlumbingError } from '../../dataplane/plumbing.js';
import type { KVStore } from '../datastore/kv.js';
import type { FamilyReason, IpVersion, NodeTarget } from './desired.js';
import { resolveNodeTarget } from './desired.js';

export interface OnceOptions {
  node: string;
  /** Opens the datastore; runOnce closes it once it has read it. */
  openStore(): Promise<KVStore>;
  /** Makes the dataplane of one family. */
  dataplaneFor(ipVersion: IpVersion): Dataplane;
  compilerConfig?: Partial<CompilerConfig>;
  /** Plan as for a host with none of Tabby's rules, without reading the kernel (dry run). */
  assumeFreshKernel?: boolean;
}

export interface FamilyApplied {
  ipVersion: IpVersion;
  reason: FamilyReason;
  result: ApplyResult;
}

export interface OnceReport {
  node: string;
  /** Datastore revision the applied state was computed at. */
  revision: number;
  /** Datastore values that did not decode and were left out. */
  invalid: { key: string; error: string }[];
  /** True when the datastore was empty and everything Tabby made was removed. */
  uninstall: boolean;
  applied: FamilyApplied[];
  /** Interfaces of local endpoints that do not exist yet (their routes wait for the next pass). */
  pendingInterfaces: string[];
}

/** An apply that failed after the checks passed; `applied` lists the families already in force. */
export class AgentApplyError extends Error {
  constructor(
    readonly ipVersion: IpVersion,
    /** True when this family's rules were written and only its routes/neighbours failed. */
    readonly rulesWritten: boolean,
    readonly applied: FamilyApplied[],
    override readonly cause: Error,
  ) {
    const done = applied.length === 0 ? 'nothing was applied' : `applied: ${applied.map((a) => `IPv${a.ipVersion}`).join(', ')}`;
    const state = rulesWritten
      ? `IPv${ipVersion} rules are in force but its workload routes/neighbours are incomplete`
      : `the previous IPv${ipVersion} ruleset remains in force`;
    super(`IPv${ipVersion}: ${cause.message} (${state}; ${done})`);
    this.name = 'AgentApplyError';
  }
}

/** Everything runOnce checks and plans, without writing: the datastore is read and closed, the kernel only read. */
export async function planOnce(options: OnceOptions): Promise<NodeTarget> {
  const store = await options.openStore();
  try {
    return await resolveNodeTarget({ ...options, store });
  } finally {
    await store.close();
  }
}

export async function runOnce(options: OnceOptions): Promise<OnceReport> {
  const target = await planOnce(options);

  const applied: FamilyApplied[] = [];
  const pending = new Set<string>();
  for (const family of target.families) {
    let result: ApplyResult;
    try {
      result = await family.dataplane.apply(family.ruleset, { endpoints: target.endpoints });
    } catch (err) {
      const error = err instanceof Error ? err : new Error(String(err));
      throw new AgentApplyError(family.ipVersion, err instanceof PlumbingError, applied, error);
    }
    applied.push({ ipVersion: family.ipVersion, reason: family.reason, result });
    for (const iface of result.plumbing?.pendingInterfaces ?? []) pending.add(iface);
  }
  return {
    node: target.node,
    revision: target.revision,
    invalid: target.invalid,
    uninstall: target.uninstall,
    applied,
    pendingInterfaces: [...pending].sort(),
  };
}
