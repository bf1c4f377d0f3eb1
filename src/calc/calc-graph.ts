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
import { DEFAULT_TIER } from '../model/storage-keys.js';
import type { DatastoreUpdate, Labels } from '../model/types.js';
import type { DesiredState } from '../../compiler/desired-state.js';
import { parseSelector } from '../selector/index.js';
import { ActiveRules } from './active-rules.js';
import { hostAddresses, workloadAddresses } from './addresses.js';
import type { DesiredStateDelta } from './delta.js';
import { hostEndpointKey, printableEndpointId, workloadEndpointKey } from './endpoint-keys.js';
import { IpSetMembership } from './ipset-members.js';
import { LabelInheritance } from './label-inheritance.js';
import { preparePolicy } from './policy.js';
import { RuleScanner } from './rule-scanner.js';
import { prepareRules, type SelectorParser } from './rules.js';

export interface CalcGraphOptions {
  /** Selector parser (default: src/selector's parseSelector). */
  parseSelector?: SelectorParser;
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

  constructor(readonly node: string, options: CalcGraphOptions = {}) {
    this.parse = options.parseSelector ?? parseSelector;
  }

  /**
   * Applies one datastore update. Throws CalcInputError (and changes nothing) for a policy or
   * profile whose selectors do not parse.
   */
  apply(update: DatastoreUpdate): void {
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
        return;
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
        return;
      }
      case 'profileLabels':
        this.labels.updateProfileLabels(update.profile, update.value);
        return;
      case 'profileTags':
        this.labels.updateProfileTags(update.profile, update.value);
        return;
      case 'profileRules': {
        const v = update.value;
        const rules = v && prepareRules(`profile ${JSON.stringify(update.profile)}`, v.inbound, v.outbound, this.parse);
        this.active.updateProfileRules(update.profile, rules);
        return;
      }
      case 'policy': {
        if (update.tier !== DEFAULT_TIER) return; // the only tier Tabby has
        const v = update.value;
        this.active.updatePolicy(update.name, v && preparePolicy(update.name, v, this.parse));
        return;
      }
    }
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
}
