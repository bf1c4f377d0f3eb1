// src/calc: from the datastore contents and a node name to that node's desired state
// (compiler/desired-state.ts), incrementally.
//
// The agent's use:
//   const { graph, invalid } = createCalcGraph(node, listing);   // log each invalid key
//   let delta = graph.flush();                                   // first flush: everything
//   on each watch event:  const o = graph.applyEvent(key, value);  // value undefined: deleted
//                         if (o.status === 'invalid') log(o.key, o.error);
//   when a burst is over: delta = graph.flush();                 // what changed, for the compiler
//   after a re-list:      graph.resync(listing); delta = graph.flush();
//   at any time:          graph.snapshot() (the whole DesiredState), graph.stats() (metrics)
//
// A value that fails validation is treated as a deletion of its key (as Felix does) and
// reported, never thrown. computeDesiredState / desiredStateFromKVs compute the same state from
// scratch, with no index (for `tabby compile`, tests and the naive benchmark baseline).
export {
  CalcGraph, createCalcGraph,
  type CalcGraphOptions, type CalcStats, type EventOutcome, type ResyncResult,
} from './calc-graph.js';
export { computeDesiredState, desiredStateFromKVs, type FullComputationOptions } from './full.js';
export { applyDelta, isEmptyDelta, type DesiredStateDelta, type IpSetMemberDelta } from './delta.js';
export { updatesFromKVs, type IngestResult, type RawKV } from './ingest.js';
export { CalcInputError, type InvalidValue } from './errors.js';
export { comparePolicies, policyDirections } from './policy.js';
export { effectiveLabels, profileLabels, mergeLabels, type ProfileLabelSource } from './labels.js';
export { SelectorIndex, type MatchListener } from './selector-index.js';
export type { SelectorParser } from './rules.js';
