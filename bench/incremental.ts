// Incremental changes against the calc graph, in this process: time from the datastore event
// to the new desired state (applyEvent + flush, what the agent does per change), then the
// compile and plan the agent does next, and the size of the restore delta that results.
// The naive baseline recomputes the desired state from scratch after one change.
import { computeDesiredState, createCalcGraph, updatesFromKVs, type CalcGraph, type RawKV } from '../src/calc/index.js';
import { compileRuleset, DEFAULT_MARK_MASK, marksFromMask } from '../compiler/index.js';
import { CHANGE_KINDS, ClusterChanges, type ChangeKind } from './changes.js';
import type { Cluster } from './cluster.js';
import { SimulatedKernel, type RestoreDelta } from './simulated-kernel.js';
import { gc, median } from './stats.js';

export interface IncrementalResult {
  /** Median ms from the datastore event to the new desired state. */
  ms: number;
  /** Median restore-delta lines (iptables + ipset) the change produces. */
  deltaLines: number;
  /** Median ms of the agent's next step: compile the new state and plan the restore delta. */
  toRestoreMs: number;
  /** Its parts: compileRuleset on the new state; validate + plan against the previous apply. */
  compileMs: number;
  planMs: number;
  p90Ms: number;
  maxMs: number;
  maxDeltaLines: number;
  /** Median chains the iptables delta writes. */
  chainsWritten: number;
  /** Changes whose delta is only ipset add/del lines. */
  onlyIpSetMemberLines: number;
  /** Changes whose calc delta was IP set members only. */
  membersOnlyChanges: number;
  /** ... of which the restore delta held anything but ipset add/del lines (should be 0). */
  membersOnlyViolations: number;
  samples: number;
}

export interface ComputeResult {
  incremental: Record<ChangeKind, IncrementalResult>;
  naiveMs: number;
  naiveSamples: number;
}

interface Sample {
  calcMs: number;
  compileMs: number;
  planMs: number;
  delta: RestoreDelta;
  membersOnly: boolean;
}

function summarize(samples: Sample[]): IncrementalResult {
  const calc = samples.map((x) => x.calcMs);
  const deltas = samples.map((x) => x.delta);
  const restore = samples.map((x) => x.compileMs + x.planMs);
  const membersOnly = samples.filter((x) => x.membersOnly);
  return {
    ms: median(calc),
    deltaLines: median(deltas.map((d) => d.lines)),
    toRestoreMs: median(restore),
    compileMs: median(samples.map((x) => x.compileMs)),
    planMs: median(samples.map((x) => x.planMs)),
    p90Ms: [...calc].sort((a, b) => a - b)[Math.ceil(calc.length * 0.9) - 1]!,
    maxMs: Math.max(...calc),
    maxDeltaLines: Math.max(...deltas.map((d) => d.lines)),
    chainsWritten: median(deltas.map((d) => d.chainsWritten)),
    onlyIpSetMemberLines: deltas.filter((d) => d.onlyIpSetMemberLines).length,
    membersOnlyChanges: membersOnly.length,
    membersOnlyViolations: membersOnly.filter((x) => !x.delta.onlyIpSetMemberLines).length,
    samples: calc.length,
  };
}

export function measureIncremental(cluster: Cluster, naiveRepeats: number): ComputeResult {
  const config = marksFromMask(DEFAULT_MARK_MASK);
  const { graph } = createCalcGraph(cluster.node, cluster.kvs);
  graph.flush();
  const kernel = new SimulatedKernel();
  kernel.apply(compileRuleset(graph.snapshot(), 4, config));
  const store = new Map(cluster.kvs.map((kv) => [kv.key, kv.value]));
  const changes = new ClusterChanges(cluster);
  const activePolicies = (g: CalcGraph): string[] => [...g.snapshot().policies.keys()];

  const incremental = {} as Record<ChangeKind, IncrementalResult>;
  for (const kind of CHANGE_KINDS) {
    gc();
    const samples: Sample[] = [];
    for (let i = 0; i < cluster.spec.incrementalRepeats; i++) {
      const kv = changes.next(kind, activePolicies(graph));
      store.set(kv.key, kv.value!);
      const t0 = performance.now();
      const outcome = graph.applyEvent(kv.key, kv.value);
      const d = graph.flush();
      const t1 = performance.now();
      const ruleset = compileRuleset(graph.snapshot(), 4, config);
      const t2 = performance.now();
      const delta = kernel.apply(ruleset);
      const t3 = performance.now();
      if (outcome.status !== 'applied') throw new Error(`${kind}: the generated change to ${kv.key} was ${outcome.status}`);
      const membersOnly = d.ipSetMembers.size > 0 && d.endpointsChanged.size === 0 && d.endpointsRemoved.size === 0
        && d.policiesChanged.size === 0 && d.policiesRemoved.size === 0 && d.profilesChanged.size === 0
        && d.profilesRemoved.size === 0 && d.ipSetsCreated.size === 0 && d.ipSetsDeleted.size === 0;
      samples.push({ calcMs: t1 - t0, compileMs: t2 - t1, planMs: t3 - t2, delta, membersOnly });
    }
    incremental[kind] = summarize(samples);
  }

  // Naive: the whole desired state from the (already decoded) datastore contents, per change.
  const keys = [...store.keys()];
  const decoded = updatesFromKVs(keys.map((key): RawKV => ({ key, value: store.get(key)! })));
  if (decoded.updates.length !== keys.length) throw new Error(`naive: ${decoded.invalid.length} invalid and ${decoded.ignored.length} ignored keys in the generated data`);
  const index = new Map(keys.map((key, i) => [key, i]));
  const naive: number[] = [];
  for (let i = 0; i < naiveRepeats; i++) {
    const kv = changes.labelChange();
    const u = updatesFromKVs([kv]).updates[0]!;
    const at = index.get(kv.key);
    if (at === undefined) throw new Error(`naive: ${kv.key} is not in the datastore`);
    decoded.updates[at] = u;
    gc();
    const t0 = performance.now();
    computeDesiredState(cluster.node, decoded.updates);
    naive.push(performance.now() - t0);
  }
  return { incremental, naiveMs: median(naive), naiveSamples: naive.length };
}
