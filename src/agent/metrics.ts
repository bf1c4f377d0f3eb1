// The agent's Prometheus metrics, in a registry of its own (so tests and embedders can run
// several agents in one process).
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export class AgentMetrics {
  readonly registry = new Registry();
  readonly applies: Counter;
  readonly applyErrors: Counter;
  readonly applyDuration: Histogram;
  readonly calcDuration: Histogram;
  readonly localEndpoints: Gauge;
  readonly activePolicies: Gauge;
  readonly activeProfiles: Gauge;
  readonly ipSets: Gauge<'ip_version'>;
  readonly ipSetMembers: Gauge<'ip_version'>;
  readonly datastoreEvents: Counter;
  readonly invalidValues: Counter;
  readonly datastoreResyncs: Counter<'reason'>;
  readonly lastResync: Gauge;
  readonly ready: Gauge;

  constructor(options: { processMetrics?: boolean } = {}) {
    const registers = [this.registry];
    if (options.processMetrics ?? true) collectDefaultMetrics({ register: this.registry, prefix: 'tabby_' });
    this.applies = new Counter({ name: 'tabby_applies_total', help: 'Applies to the kernel that succeeded (including ones that found nothing to change).', registers });
    this.applyErrors = new Counter({ name: 'tabby_apply_errors_total', help: 'Applies to the kernel that failed (after the dataplane\'s own retries).', registers });
    this.applyDuration = new Histogram({
      name: 'tabby_apply_duration_seconds', help: 'Time of one apply: compile and write every address family.', registers,
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    });
    this.calcDuration = new Histogram({
      name: 'tabby_calc_duration_seconds', help: 'Calc graph time per apply: ingesting datastore changes and settling the desired state.', registers,
      buckets: [0.0001, 0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5],
    });
    this.localEndpoints = new Gauge({ name: 'tabby_local_endpoints', help: 'Workload endpoints on this node.', registers });
    this.activePolicies = new Gauge({ name: 'tabby_active_policies', help: 'Policies that select at least one local endpoint.', registers });
    this.activeProfiles = new Gauge({ name: 'tabby_active_profiles', help: 'Profiles used by local endpoints.', registers });
    this.ipSets = new Gauge({ name: 'tabby_ipsets', help: 'IP sets the ruleset uses.', labelNames: ['ip_version'], registers });
    this.ipSetMembers = new Gauge({ name: 'tabby_ipset_members', help: 'Members of all those IP sets.', labelNames: ['ip_version'], registers });
    this.datastoreEvents = new Counter({ name: 'tabby_datastore_events_total', help: 'Datastore changes received from the watch.', registers });
    this.invalidValues = new Counter({ name: 'tabby_datastore_invalid_values_total', help: 'Datastore values skipped because they failed validation.', registers });
    this.datastoreResyncs = new Counter({ name: 'tabby_datastore_resyncs_total', help: 'Complete listings of the datastore.', labelNames: ['reason'], registers });
    this.lastResync = new Gauge({ name: 'tabby_last_resync_timestamp_seconds', help: 'Unix time of the last successful resync with the kernel (re-read and repair), 0 before the first.', registers });
    this.ready = new Gauge({ name: 'tabby_ready', help: '1 once the first apply succeeded.', registers });
  }

  metricsText(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }
}
