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
import { DEFAULT_TIER, PROFILES_PREFIX, decodeDatastoreValue, deletedUpdate, formatDatastoreKey, parseDatastoreKey, updateKey } from '../model/storage.js';
import type { DatastoreUpdate, Labels } from '../model/types.js';
import type { DesiredState } from '../../compiler/desired-state.js';
import { parseSelector } from '../selector/index.js';
import { ActiveRules } from './active-rules.js';
import { hostAddresses, workloadAddresses } from './addresses.js';
import type { DesiredStateDelta } from './delta.js';
import { printableEndpointId } from './endpoint-keys.js';
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

/**
 * Whether a key string can name a profile record: the segments "policy" and "profile" contain
 * nothing an escape could spell, so every profile key starts with this prefix.
 */
const mayBeProfileKey = (key: string): boolean => typeof key === 'string' && key.startsWith(PROFILES_PREFIX);

/** A raw event with its key parsed and its value decoded, ready to apply. */
interface DecodedEvent {
  /** The key as the event spelled it. */
  key: string;
  canonical: string;
  /** A deletion when the value failed to decode. */
  update: DatastoreUpdate;
  decodeError?: string;
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
    const event = this.decodeRaw(key, value);
    return event === undefined ? { status: 'ignored', key } : this.applyDecoded(event);
  }

  /**
   * Makes the graph's input equal a full listing of the datastore (the first load, or a re-list
   * after a lost watch or a compaction): applies every pair, then deletes every key the graph
   * held that the listing lacks. Unchanged keys cost little, and the next flush() reports only
   * what really differs.
   */
  resync(pairs: Iterable<RawKV>): ResyncResult {
    const out: ResyncResult = { invalid: [], ignored: [], removed: [] };
    // A graph that held nothing (the first load) can hold nothing the listing lacks.
    const firstLoad = this.present.size === 0 && this.invalid.size === 0;
    const seen = new Set<string>();
    // Outcomes by listing position, as the listing is applied in two passes.
    const invalidAt: { at: number; invalid: InvalidValue }[] = [];
    const ignoredAt: { at: number; key: string }[] = [];
    const applyAt = (at: number, key: string, value: string | undefined): void => {
      const event = this.decodeRaw(key, value);
      if (event === undefined) {
        ignoredAt.push({ at, key });
        return;
      }
      if (!firstLoad) seen.add(event.canonical);
      const outcome = this.applyDecoded(event);
      if (outcome.status === 'invalid') invalidAt.push({ at, invalid: { key, error: outcome.error } });
    };
    // Profile keys go first, so each endpoint is indexed once, with its final inherited labels,
    // rather than indexed and then re-indexed as each of its profiles arrives (a listing sorts
    // profile keys after the endpoints). Each key keeps its listing order, and the graph's state
    // does not depend on the order of different keys.
    const rest: RawKV[] = [];
    const restAt: number[] = [];
    let at = 0;
    for (const pair of pairs) {
      if (mayBeProfileKey(pair.key)) applyAt(at, pair.key, pair.value);
      else {
        rest.push(pair);
        restAt.push(at);
      }
      at++;
    }
    for (let i = 0; i < rest.length; i++) applyAt(restAt[i]!, rest[i]!.key, rest[i]!.value);
    invalidAt.sort((a, b) => a.at - b.at);
    for (const { invalid } of invalidAt) out.invalid.push(invalid);
    ignoredAt.sort((a, b) => a.at - b.at);
    for (const { key } of ignoredAt) out.ignored.push(key);

    if (firstLoad) return out;
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

  /** One raw event decoded (a failed decode becomes a deletion); undefined if calc ignores the key. */
  private decodeRaw(key: string, value: string | undefined): DecodedEvent | undefined {
    const k = parseDatastoreKey(key);
    if (k === undefined || (k.kind === 'policy' && k.tier !== DEFAULT_TIER)) return undefined;
    // Only an escape can be spelled two ways (%2f, %2F); otherwise the key is already canonical.
    const canonical = key.includes('%') ? formatDatastoreKey(k) : key;
    if (value === undefined) return { key, canonical, update: deletedUpdate(k) };
    try {
      return { key, canonical, update: decodeDatastoreValue(k, value) };
    } catch (err) {
      return { key, canonical, update: deletedUpdate(k), decodeError: err instanceof Error ? err.message : String(err) };
    }
  }

  private applyDecoded(event: DecodedEvent): EventOutcome {
    const { key, canonical, update, decodeError } = event;
    if (decodeError !== undefined) {
      this.applyKeyed(update, canonical);
      this.invalid.add(canonical);
      return { status: 'invalid', key, error: decodeError };
    }
    const error = this.applyKeyed(update, canonical);
    if (error !== undefined) return { status: 'invalid', key, error: error.message };
    return { status: 'applied', key };
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
        // The canonical datastore key names the endpoint inside the graph: already a flat string
        // held in `present`, and it orders like workloadEndpointKey (the same escaped segments,
        // each followed by '/'), so interface-name clashes resolve as in the full computation.
        const key = canonical;
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
        const key = canonical;
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
