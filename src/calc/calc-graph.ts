// The calculation graph: datastore updates in, one node's desired state and its changes out.
//
//   update ─┬─ endpoint ──▶ LabelInheritance ──labels──┬─▶ IpSetMembership (all endpoints)
//           │      └─ addresses ─────────────────────────┘        ▲ activate/deactivate
//           │      └─ local record ──▶ ActiveRules ◀──labels (local endpoints only)
//           ├─ profile tags/labels ──▶ LabelInheritance          │
//           ├─ profile rules, policy ──▶ ActiveRules ──▶ RuleScanner
//
// Each component holds one index and talks to the next through callbacks; ActiveRules settles
// its dirty endpoints, policies and profiles on flush() or snapshot().
//
// Bad input never throws out of the graph. As in Felix (whose validation filter logs "Validation
// failed; treating as missing"), a value that fails validation is treated as a deletion of its
// key: whatever valid value the key held before stops counting, and the outcome names the key
// and the reason so the caller can log it.
import { DEFAULT_TIER, decodeDatastoreValue, deletedUpdate, formatDatastoreKey, parseDatastoreKey, updateKey } from '../model/storage.js';
import type { DatastoreUpdate, Labels } from '../model/types.js';
import type { DesiredState } from '../../compiler/desired-state.js';
import { parseSelector } from '../selector/index.js';
import { ActiveRules } from './active-rules.js';
import { hostAddresses, workloadAddresses } from './addresses.js';
import type { DesiredStateDelta } from './delta.js';
import { hostEndpointKey, printableEndpointId, workloadEndpointKey } from './endpoint-keys.js';
import { CalcInputError, type InvalidValue } from './errors.js';
import type { RawKV } from './ingest.js';
import { IpSetMembership } from './ipset-members.js';
import { LabelInheritance } from './label-inheritance.js';
import { preparePolicy, type PreparedPolicy } from './policy.js';
import { RuleScanner } from './rule-scanner.js';
import { prepareRules, type PreparedRules, type SelectorParser } from './rules.js';

export interface CalcGraphOptions {
  /** Selector parser (default: src/selector's parseSelector). */
  parseSelector?: SelectorParser;
}

/** What became of one datastore event. */
export type EventOutcome =
  /** The value (or the deletion) is now part of the graph's input. */
  | { status: 'applied'; key: string }
  /** Not a key calc reads (other Calico keys, policies of other tiers, invalid key names): no effect. */
  | { status: 'ignored'; key: string }
  /** The value failed validation: logged by the caller, and the key is treated as deleted. */
  | { status: 'invalid'; key: string; error: string };

export interface ResyncResult {
  /** Keys whose value failed validation (each treated as deleted). */
  invalid: InvalidValue[];
  /** Keys calc does not read. */
  ignored: string[];
  /** Keys the graph held that the listing no longer has, now deleted. */
  removed: string[];
}

/** Sizes for metrics; cheap to read after every apply. */
export interface CalcStats {
  /** Local workload endpoints in the desired state (one per interface name). */
  localEndpoints: number;
  /** Policies used by at least one local endpoint. */
  activePolicies: number;
  /** Existing profiles used by at least one local endpoint. */
  activeProfiles: number;
  /** IP sets used by an active rule. */
  ipSets: number;
  /** Members of those sets, IPv4 and IPv6 together. */
  ipSetMembers: number;
  /** Datastore keys currently holding a valid value calc reads. */
  datastoreKeys: number;
  /** Datastore keys whose current value failed validation (treated as absent). */
  invalidKeys: number;
}

export class CalcGraph {
  private readonly parse: SelectorParser;
  private readonly ipSets = new IpSetMembership();
  private readonly scanner = new RuleScanner(this.ipSets);
  private readonly active = new ActiveRules(this.scanner);
  private readonly labels = new LabelInheritance((key: string, labels: Labels | undefined) => {
    this.ipSets.updateLabels(key, labels);
    this.active.updateEndpointLabels(key, labels);
  });
  /** Keys (in their canonical spelling) holding a valid value, for resync and stats. */
  private readonly present = new Set<string>();
  /** Keys whose current value is invalid. */
  private readonly invalid = new Set<string>();

  constructor(readonly node: string, options: CalcGraphOptions = {}) {
    this.parse = options.parseSelector ?? parseSelector;
  }

  /**
   * Applies one raw datastore event as a watch or a listing reports it: the key and its JSON
   * value, or no value for a deletion. Never throws for bad input: see EventOutcome. The changes
   * it causes are reported by the next flush().
   */
  applyEvent(key: string, value: string | undefined): EventOutcome {
    return this.applyRaw(key, value).outcome;
  }

  /**
   * Makes the graph's input equal a full listing of the datastore (the first load, or a re-list
   * after a lost watch or a compaction): applies every pair, then deletes every key the graph
   * held that the listing lacks. Unchanged keys cost little, and the next flush() reports only
   * what really differs.
   */
  resync(pairs: Iterable<RawKV>): ResyncResult {
    const out: ResyncResult = { invalid: [], ignored: [], removed: [] };
    const seen = new Set<string>();
    for (const { key, value } of pairs) {
      const { outcome, canonical } = this.applyRaw(key, value);
      if (canonical !== undefined) seen.add(canonical);
      if (outcome.status === 'ignored') out.ignored.push(key);
      else if (outcome.status === 'invalid') out.invalid.push({ key, error: outcome.error });
    }
    for (const held of [this.present, this.invalid]) {
      for (const canonical of [...held]) {
        if (seen.has(canonical)) continue;
        this.applyKeyed(deletedUpdate(parseDatastoreKey(canonical)!), canonical);
        out.removed.push(canonical);
      }
    }
    return out;
  }

  /**
   * Applies one decoded datastore update. A policy or profile whose selectors do not parse is
   * treated as deleted, and the error (naming the record, the field and the value) is returned;
   * nothing is thrown.
   */
  apply(update: DatastoreUpdate): CalcInputError | undefined {
    if (update.kind === 'policy' && update.tier !== DEFAULT_TIER) return undefined; // the only tier Tabby has
    return this.applyKeyed(update, formatDatastoreKey(updateKey(update)));
  }

  /** One raw event; `canonical` is the key's canonical spelling unless calc ignores the key. */
  private applyRaw(key: string, value: string | undefined): { outcome: EventOutcome; canonical?: string } {
    const k = parseDatastoreKey(key);
    if (k === undefined || (k.kind === 'policy' && k.tier !== DEFAULT_TIER)) return { outcome: { status: 'ignored', key } };
    // Only an escape can be spelled two ways (%2f, %2F); otherwise the key is already canonical.
    const canonical = key.includes('%') ? formatDatastoreKey(k) : key;
    if (value === undefined) {
      this.applyKeyed(deletedUpdate(k), canonical);
      return { outcome: { status: 'applied', key }, canonical };
    }
    let update: DatastoreUpdate;
    try {
      update = decodeDatastoreValue(k, value);
    } catch (err) {
      this.applyKeyed(deletedUpdate(k), canonical);
      this.invalid.add(canonical);
      return { outcome: { status: 'invalid', key, error: err instanceof Error ? err.message : String(err) }, canonical };
    }
    const error = this.applyKeyed(update, canonical);
    if (error !== undefined) return { outcome: { status: 'invalid', key, error: error.message }, canonical };
    return { outcome: { status: 'applied', key }, canonical };
  }

  /** Applies a decoded update of the key spelled `canonical` (a policy of the default tier). */
  private applyKeyed(update: DatastoreUpdate, canonical: string): CalcInputError | undefined {
    let error: CalcInputError | undefined;
    let policy: PreparedPolicy | undefined;
    let rules: PreparedRules | undefined;
    try {
      if (update.kind === 'policy' && update.value) policy = preparePolicy(update.name, update.value, this.parse);
      if (update.kind === 'profileRules' && update.value) {
        const v = update.value;
        rules = prepareRules(`profile ${JSON.stringify(update.profile)}`, v.inbound, v.outbound, this.parse);
      }
    } catch (err) {
      if (!(err instanceof CalcInputError)) throw err;
      error = err;
      update = deletedUpdate(updateKey(update));
    }
    this.invalid.delete(canonical);
    if (error !== undefined) this.invalid.add(canonical);
    if (update.value === undefined) this.present.delete(canonical);
    else this.present.add(canonical);

    switch (update.kind) {
      case 'workloadEndpoint': {
        const key = workloadEndpointKey(update.id);
        const local = update.id.node === this.node;
        const v = update.value;
        if (v !== undefined) {
          if (local) this.active.updateEndpoint(key, printableEndpointId(update.id), v);
          this.ipSets.updateAddresses(key, workloadAddresses(v));
          this.labels.updateEndpoint(key, v.labels, v.profileIds);
        } else {
          this.labels.removeEndpoint(key);
          this.ipSets.updateAddresses(key, undefined);
          if (local) this.active.removeEndpoint(key);
        }
        break;
      }
      case 'hostEndpoint': {
        // Host endpoints are members of IP sets; their own policy is not rendered yet.
        const key = hostEndpointKey(update.id);
        const v = update.value;
        if (v !== undefined) {
          this.ipSets.updateAddresses(key, hostAddresses(v));
          this.labels.updateEndpoint(key, v.labels, v.profileIds);
        } else {
          this.labels.removeEndpoint(key);
          this.ipSets.updateAddresses(key, undefined);
        }
        break;
      }
      case 'profileLabels':
        this.labels.updateProfileLabels(update.profile, update.value);
        break;
      case 'profileTags':
        this.labels.updateProfileTags(update.profile, update.value);
        break;
      case 'profileRules':
        this.active.updateProfileRules(update.profile, rules);
        break;
      case 'policy':
        this.active.updatePolicy(update.name, policy);
        break;
    }
    return error;
  }

  /**
   * Everything that changed since the previous flush (the first flush: everything). Its records
   * and created sets are live views like snapshot()'s: use them before the next apply().
   */
  flush(): DesiredStateDelta {
    this.active.settle();
    const endpoints = this.active.endpointsOut.takeChanges();
    const policies = this.active.policiesOut.takeChanges();
    const profiles = this.active.profilesOut.takeChanges();
    const ipSets = this.ipSets.takeChanges();
    return {
      endpointsChanged: endpoints.changed,
      endpointsRemoved: endpoints.removed,
      policiesChanged: policies.changed,
      policiesRemoved: policies.removed,
      profilesChanged: profiles.changed,
      profilesRemoved: profiles.removed,
      ipSetsCreated: ipSets.created,
      ipSetsDeleted: ipSets.deleted,
      ipSetMembers: ipSets.members,
    };
  }

  /**
   * The current desired state, as live read-only views: valid until the next apply(). Does not
   * affect what the next flush() reports. Copy it (or fold deltas with applyDelta) to keep it.
   */
  snapshot(): DesiredState {
    this.active.settle();
    return {
      endpoints: this.active.endpointsOut.view,
      policies: this.active.policiesOut.view,
      profiles: this.active.profilesOut.view,
      ipSets: this.ipSets.sets,
    };
  }

  /** Sizes of the current desired state and input, for metrics. */
  stats(): CalcStats {
    this.active.settle();
    return {
      localEndpoints: this.active.endpointsOut.view.size,
      activePolicies: this.active.policiesOut.view.size,
      activeProfiles: this.active.profilesOut.view.size,
      ipSets: this.ipSets.sets.size,
      ipSetMembers: this.ipSets.memberCount,
      datastoreKeys: this.present.size,
      invalidKeys: this.invalid.size,
    };
  }
}

/**
 * A graph for `node` loaded from a full listing of the datastore, with the keys that failed
 * validation (treated as absent) and those calc does not read. Its first flush() reports the
 * whole desired state.
 */
export function createCalcGraph(
  node: string,
  pairs: Iterable<RawKV>,
  options: CalcGraphOptions = {},
): { graph: CalcGraph; invalid: InvalidValue[]; ignored: string[] } {
  const graph = new CalcGraph(node, options);
  const { invalid, ignored } = graph.resync(pairs);
  return { graph, invalid, ignored };
}
