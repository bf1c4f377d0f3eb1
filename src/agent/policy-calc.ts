// The agent's view of the datastore: raw key/value changes in, this node's desired state out,
// through the incremental calc graph. A value that fails validation counts as absent (calc's
// rule, as in Felix) and is logged here with its key; it blocks nothing else.
import type { DesiredState } from '../../compiler/desired-state.js';
import { CalcGraph, isEmptyDelta, type CalcStats, type DesiredStateDelta, type RawKV } from '../calc/index.js';
import type { AgentLogger } from './logger.js';

export interface IngestSummary {
  events: number;
  invalid: number;
  durationMs: number;
}

export interface TakenState {
  /** Live view: valid until the next ingest. */
  state: DesiredState;
  /** What changed since the previous take (everything, the first time). */
  delta: DesiredStateDelta;
  stats: CalcStats;
  /** Calc time spent since the previous take, settling included. */
  calcMs: number;
  /** No key at all under the prefix: Tabby has nothing to enforce (as `tabby agent --once` reads it). */
  datastoreEmpty: boolean;
}

export class PolicyCalc {
  private readonly graph: CalcGraph;
  private calcMs = 0;
  /** Every key under the prefix, Tabby's or not. */
  private readonly keys = new Set<string>();

  constructor(readonly node: string, private readonly log: AgentLogger) {
    this.graph = new CalcGraph(node);
  }

  /** Makes the input equal a complete listing (the first, or after a compaction). */
  resync(items: readonly RawKV[]): IngestSummary {
    const start = performance.now();
    const result = this.graph.resync(items);
    this.keys.clear();
    for (const { key } of items) this.keys.add(key);
    for (const { key, error } of result.invalid) this.warnInvalid(key, error);
    if (result.removed.length > 0) this.log.info({ removed: result.removed.length }, 'keys gone since the last listing removed');
    const durationMs = performance.now() - start;
    this.calcMs += durationMs;
    return { events: items.length, invalid: result.invalid.length, durationMs };
  }

  /** Applies watch events in order (a deletion has no value). */
  ingest(events: readonly RawKV[]): IngestSummary {
    const start = performance.now();
    let invalid = 0;
    for (const { key, value } of events) {
      if (value === undefined) this.keys.delete(key);
      else this.keys.add(key);
      const outcome = this.graph.applyEvent(key, value);
      if (outcome.status === 'invalid') {
        invalid++;
        this.warnInvalid(key, outcome.error);
      }
    }
    const durationMs = performance.now() - start;
    this.calcMs += durationMs;
    return { events: events.length, invalid, durationMs };
  }

  /** The desired state now and the changes since the last take. */
  take(): TakenState {
    const start = performance.now();
    const delta = this.graph.flush();
    const state = this.graph.snapshot();
    const stats = this.graph.stats();
    const calcMs = this.calcMs + (performance.now() - start);
    this.calcMs = 0;
    return { state, delta, stats, calcMs, datastoreEmpty: this.keys.size === 0 };
  }

  private warnInvalid(key: string, error: string): void {
    this.log.warn({ key, error }, 'skipping an invalid datastore value (the key counts as absent)');
  }
}

export { isEmptyDelta };

/** Sizes of a delta, for the apply log line. */
export function deltaSize(d: DesiredStateDelta): Record<string, number> {
  let members = 0;
  for (const m of d.ipSetMembers.values()) members += m.addedV4.length + m.removedV4.length + m.addedV6.length + m.removedV6.length;
  return {
    endpointsChanged: d.endpointsChanged.size + d.endpointsRemoved.size,
    policiesChanged: d.policiesChanged.size + d.policiesRemoved.size,
    profilesChanged: d.profilesChanged.size + d.profilesRemoved.size,
    ipSetsChanged: d.ipSetsCreated.size + d.ipSetsDeleted.size,
    ipSetMembersChanged: members,
  };
}
