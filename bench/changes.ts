// The datastore changes the benchmark times, made against a live copy of the cluster: each
// returns the one key/value write an orchestrator or an operator would make.
import { encodeDatastoreValue } from '../src/model/storage.js';
import type { PolicyData, Rule } from '../src/model/types.js';
import { parseSelector } from '../src/selector/index.js';
import type { RawKV } from '../src/calc/index.js';
import { appName, LOCAL_NODE, makeEndpoint, randomSelector, type BenchEndpoint, type BenchPolicy, type Cluster } from './cluster.js';
import { Prng } from './prng.js';

export type ChangeKind = 'labelChange' | 'endpointAdd' | 'ruleChange' | 'selectorChange';
export const CHANGE_KINDS: readonly ChangeKind[] = ['labelChange', 'endpointAdd', 'ruleChange', 'selectorChange'];

const endpointKV = (e: BenchEndpoint): RawKV => ({
  key: e.key,
  value: encodeDatastoreValue({ kind: 'workloadEndpoint', id: e.id, value: e.data }),
});
const policyKV = (p: BenchPolicy): RawKV => ({
  key: p.key,
  value: encodeDatastoreValue({ kind: 'policy', tier: 'default', name: p.name, value: p.data }),
});

/** Rules with a selector in their source or destination. */
function selectorRules(p: PolicyData): Rule[] {
  return [...p.inbound, ...p.outbound].filter((r) => r.source?.selector !== undefined || r.destination?.selector !== undefined);
}

export class ClusterChanges {
  private readonly rng: Prng;
  private readonly endpoints: BenchEndpoint[];
  private readonly policies = new Map<string, BenchPolicy>();
  private readonly selectors = new Set<string>();
  private nextEndpoint: number;
  private nextNode = 1;

  constructor(private readonly cluster: Cluster, seed = cluster.seed + 1) {
    this.rng = new Prng(seed);
    this.endpoints = cluster.endpoints.map((e) => ({ ...e, data: { ...e.data, labels: { ...e.data.labels } } }));
    for (const p of cluster.policies) {
      this.policies.set(p.name, structuredClone(p));
      this.selectors.add(parseSelector(p.data.selector).toString());
      for (const r of selectorRules(p.data)) {
        for (const s of [r.source?.selector, r.destination?.selector]) if (s !== undefined) this.selectors.add(parseSelector(s).toString());
      }
    }
    this.nextEndpoint = cluster.spec.totalEndpoints + 1;
  }

  /** An endpoint (anywhere in the cluster) moves to another app of its namespace. */
  labelChange(): RawKV {
    const e = this.rng.pick(this.endpoints);
    const labels = { ...e.data.labels };
    let app = labels.app;
    while (app === labels.app) app = appName(this.rng.zipf(this.cluster.spec.appsPerNamespace));
    labels.app = app!;
    e.data = { ...e.data, labels };
    return endpointKV(e);
  }

  /** A new pod: every other one on the local node (new chains), the rest elsewhere (IP sets only). */
  endpointAdd(): RawKV {
    const local = this.nextEndpoint % 2 === 0;
    const node = local ? LOCAL_NODE : `node-${1 + (this.nextNode++ % (this.cluster.nodes - 1))}`;
    const e = makeEndpoint(this.rng, this.cluster.spec, this.nextEndpoint++, node);
    this.endpoints.push(e);
    return endpointKV(e);
  }

  /** A port list edit in one of `active` (policies in use on the node). */
  ruleChange(active: readonly string[]): RawKV {
    const p = this.activePolicy(active);
    const rules = [...p.data.inbound, ...p.data.outbound];
    const rule = rules.find((r) => r.destination?.ports !== undefined) ?? rules[0]!;
    const ports = rule.destination?.ports ?? [];
    const extra = 10_000 + this.rng.int(0, 50_000);
    rule.protocol ??= 'tcp';
    rule.destination = { ...rule.destination, ports: ports.length > 1 ? ports.slice(1) : [...ports, extra] };
    return policyKV(p);
  }

  /** One rule of an active policy gets a selector no rule used before (a new IP set). */
  selectorChange(active: readonly string[]): RawKV {
    const p = this.activePolicy(active, (d) => selectorRules(d).length > 0);
    const rule = selectorRules(p.data)[0]!;
    let text: string;
    for (;;) {
      text = randomSelector(this.rng, this.cluster.spec, false);
      const c = parseSelector(text).toString();
      if (!this.selectors.has(c)) {
        this.selectors.add(c);
        break;
      }
    }
    if (rule.source?.selector !== undefined) rule.source = { ...rule.source, selector: text };
    else rule.destination = { ...rule.destination, selector: text };
    return policyKV(p);
  }

  next(kind: ChangeKind, active: readonly string[]): RawKV {
    switch (kind) {
      case 'labelChange': return this.labelChange();
      case 'endpointAdd': return this.endpointAdd();
      case 'ruleChange': return this.ruleChange(active);
      case 'selectorChange': return this.selectorChange(active);
    }
  }

  private activePolicy(active: readonly string[], ok: (d: PolicyData) => boolean = () => true): BenchPolicy {
    const names = active.filter((n) => this.policies.has(n) && ok(this.policies.get(n)!.data));
    if (names.length === 0) throw new Error('no active policy to change: the node has no policy in use');
    return this.policies.get(this.rng.pick(names))!;
  }
}

/**
 * A label edit that moves one remote endpoint into the IP set `setSelector` and back, for the
 * end-to-end test: `join()` gives it the labels the selector requires, `leave()` its own.
 */
export class MembershipFlip {
  private readonly original: BenchEndpoint;
  private readonly joined: BenchEndpoint;

  constructor(endpoint: BenchEndpoint, requiredLabels: Record<string, string>) {
    this.original = endpoint;
    this.joined = { ...endpoint, data: { ...endpoint.data, labels: { ...endpoint.data.labels, ...requiredLabels } } };
  }

  get address(): string {
    return this.original.data.ipv4Nets[0]!.replace(/\/32$/, '');
  }

  join(): RawKV {
    return endpointKV(this.joined);
  }

  leave(): RawKV {
    return endpointKV(this.original);
  }
}
