// src/calc: from datastore updates and a node name to that node's desired state, incrementally.
export { CalcGraph, type CalcGraphOptions } from './calc-graph.js';
export { computeDesiredState } from './full.js';
export { applyDelta, isEmptyDelta, type DesiredStateDelta, type IpSetMemberDelta } from './delta.js';
export { updatesFromKVs, type IngestResult, type RawKV } from './ingest.js';
export { CalcInputError } from './errors.js';
export { comparePolicies, policyDirections } from './policy.js';
export { effectiveLabels, profileLabels, mergeLabels, type ProfileLabelSource } from './labels.js';
export { SelectorIndex, type MatchListener } from './selector-index.js';
export type { SelectorParser } from './rules.js';
