// The seeded synthetic cluster: workload endpoints spread over nodes with Kubernetes-like
// labels (namespace, app, tier, env, version, team, a high-cardinality pod-template-hash),
// one profile per namespace (tag + inherited labels, Calico's default allow-from-namespace
// rules) and namespaced policies whose selectors come from a pool sized so the cluster holds
// the scale's number of distinct selectors. Same spec and seed, same cluster, byte for byte.
import { createHash } from 'node:crypto';
import { encodeDatastoreValue, formatDatastoreKey, updateKey } from '../src/model/storage.js';
import type { DatastoreUpdate, PolicyData, Port, Rule, WorkloadEndpointData, WorkloadEndpointId } from '../src/model/types.js';
import { parseSelector } from '../src/selector/index.js';
import type { RawKV } from '../src/calc/index.js';
import { Prng } from './prng.js';
import type { ScaleSpec } from './scales.js';

export const LOCAL_NODE = 'node-0';
export const DEFAULT_SEED = 20240607;

const APP_BASES = ['web', 'api', 'auth', 'cart', 'search', 'db', 'cache', 'queue', 'billing', 'metrics', 'gateway', 'worker', 'frontend', 'catalog', 'mail'];
const TIERS = ['frontend', 'backend', 'db', 'cache', 'worker'];
const ENVS = ['prod', 'staging', 'dev'];
const VERSIONS = ['v1', 'v2', 'v3'];
const PORTS: Port[] = [80, 443, 8080, 8443, '9000:9100', 5432, 6379, 3306, 53, 9090, '30000:32767', 11211];

export interface BenchEndpoint {
  key: string;
  id: WorkloadEndpointId;
  data: WorkloadEndpointData;
  namespace: number;
}

export interface BenchPolicy {
  key: string;
  name: string;
  data: PolicyData;
}

export interface Cluster {
  spec: ScaleSpec;
  seed: number;
  node: string;
  nodes: number;
  endpoints: BenchEndpoint[];
  policies: BenchPolicy[];
  profiles: string[];
  /** The datastore contents as a listing returns them, sorted by key. */
  kvs: RawKV[];
  /** Distinct canonical selectors in the data: policy selectors, rule (not)selectors, tags as has(). */
  distinctSelectors: number;
}

export const namespaceName = (i: number): string => `ns-${i}`;
export const profileName = (ns: number): string => `k8s_ns.${namespaceName(ns)}`;
export const appName = (j: number): string =>
  APP_BASES[j % APP_BASES.length]! + (j >= APP_BASES.length ? `-${Math.floor(j / APP_BASES.length)}` : '');
const teamOf = (ns: number): string => `team-${ns % 7}`;

/** 198.18.0.0/15 host n (n >= 1): the benchmark only ever loads these into IP sets. */
export function endpointAddress(n: number): string {
  if (!Number.isInteger(n) || n < 1 || n >= 131072) throw new Error(`endpoint address index: out of 198.18.0.0/15: ${n}`);
  return `198.${18 + (n >> 16)}.${(n >> 8) & 255}.${n & 255}/32`;
}

/** The labels of a pod of app j in namespace ns. */
export function podLabels(rng: Prng, ns: number, app: number): Record<string, string> {
  return {
    namespace: namespaceName(ns),
    app: appName(app),
    tier: TIERS[app % TIERS.length]!,
    env: rng.chance(0.8) ? ENVS[ns % ENVS.length]! : rng.pick(ENVS),
    version: VERSIONS[rng.zipf(VERSIONS.length)]!,
    'pod-template-hash': rng.int(0, 0xffffffff).toString(16).padStart(8, '0'),
  };
}

/** Workload endpoint number n (its address and interface follow from n and its node). */
export function makeEndpoint(rng: Prng, spec: ScaleSpec, n: number, node: string): BenchEndpoint {
  const ns = rng.zipf(spec.namespaces, 0.8);
  const app = rng.zipf(spec.appsPerNamespace);
  const workload = `${namespaceName(ns)}.${appName(app)}-${n}`;
  const id: WorkloadEndpointId = { node, orchestrator: 'k8s', workload, name: 'eth0' };
  const data: WorkloadEndpointData = {
    state: 'active',
    interfaceName: 'cali' + createHash('sha256').update(`${node}/${workload}`).digest('hex').slice(0, 11),
    mac: `ee:${[(n >> 24) & 255, (n >> 16) & 255, (n >> 8) & 255, n & 255, 1].map((b) => b.toString(16).padStart(2, '0')).join(':')}`,
    profileIds: [profileName(ns)],
    ipv4Nets: [endpointAddress(n)],
    ipv6Nets: [],
    labels: podLabels(rng, ns, app),
  };
  const key = formatDatastoreKey({ kind: 'workloadEndpoint', id });
  return { key, id, data, namespace: ns };
}

/** One random selector of the kinds real policies use; namespaced ones select a few pods. */
export function randomSelector(rng: Prng, spec: ScaleSpec, namespacedOnly: boolean): string {
  const ns = (): string => namespaceName(rng.zipf(spec.namespaces, 0.8));
  const app = (): string => appName(rng.zipf(spec.appsPerNamespace));
  const kind = namespacedOnly ? rng.int(0, 3) : rng.int(0, 7);
  switch (kind) {
    case 0: return `namespace == "${ns()}" && app == "${app()}"`;
    case 1: return `namespace == "${ns()}" && app == "${app()}" && tier == "${rng.pick(TIERS)}"`;
    case 2: return `namespace == "${ns()}" && app in {"${app()}", "${app()}"}`;
    case 3: return `namespace == "${ns()}" && app == "${app()}" && version != "${rng.pick(VERSIONS)}"`;
    case 4: return `app == "${app()}" && env == "${rng.pick(ENVS)}"`;
    case 5: return `tier == "${rng.pick(TIERS)}" && namespace in {"${ns()}", "${ns()}"}`;
    case 6: return `team == "${teamOf(rng.int(0, 6))}" && app == "${app()}"`;
    default: return `has(app) && namespace == "${ns()}" && env != "${rng.pick(ENVS)}"`;
  }
}

const canonical = (s: string): string => parseSelector(s).toString();

/** `count` selectors whose canonical forms differ from each other and from `taken` (which grows). */
function distinctPool(rng: Prng, spec: ScaleSpec, count: number, namespacedOnly: boolean, taken: Set<string>): string[] {
  const out: string[] = [];
  for (let tries = 0; out.length < count; tries++) {
    if (tries > count * 200) throw new Error(`selector pool: cannot find ${count} distinct selectors for scale ${spec.name}`);
    const s = randomSelector(rng, spec, namespacedOnly);
    const c = canonical(s);
    if (taken.has(c)) continue;
    taken.add(c);
    out.push(s);
  }
  return out;
}

export function ingressRule(rng: Prng, selector: string): Rule {
  const ports = [...new Set(Array.from({ length: rng.int(1, 3) }, () => rng.pick(PORTS)))];
  return { action: rng.chance(0.9) ? 'allow' : 'deny', protocol: 'tcp', source: { selector }, destination: { ports } };
}

export function egressRule(rng: Prng, selector: string): Rule {
  return rng.chance(0.5)
    ? { action: 'allow', protocol: 'udp', destination: { selector, ports: [53] } }
    : { action: 'allow', protocol: 'tcp', destination: { selector, ports: [rng.pick(PORTS)] } };
}

function policyName(ns: number, i: number): string {
  return `${namespaceName(ns)}.policy-${i}`;
}

export function generateCluster(spec: ScaleSpec, seed = DEFAULT_SEED): Cluster {
  if (spec.totalEndpoints % spec.localEndpoints !== 0) throw new Error(`scale ${spec.name}: totalEndpoints must be a multiple of localEndpoints`);
  const rng = new Prng(seed);
  const nodes = spec.totalEndpoints / spec.localEndpoints;

  // Exactly localEndpoints on node-0, the rest evenly on the other nodes, in random order.
  const placement = rng.shuffle(Array.from({ length: spec.totalEndpoints }, (_, i) => `node-${i % nodes}`));
  const endpoints = placement.map((node, i) => makeEndpoint(rng, spec, i + 1, node));

  // Profiles: tag = namespace name (has(ns-N) becomes a set), labels inherited by every pod.
  const profiles = Array.from({ length: spec.namespaces }, (_, ns) => profileName(ns));
  const taken = new Set<string>(Array.from({ length: spec.namespaces }, (_, ns) => canonical(`has(${namespaceName(ns)})`)));

  // Selector pool: one namespaced selector per policy, the rest spread over the policies' rules.
  const policySelectors = distinctPool(rng, spec, spec.policies, true, taken);
  const ruleCount = Math.max(spec.distinctSelectors - spec.namespaces - spec.policies, 1);
  const ruleSelectors = distinctPool(rng, spec, ruleCount, false, taken);
  const perPolicy: string[][] = policySelectors.map(() => []);
  ruleSelectors.forEach((s, i) => perPolicy[i % spec.policies]!.push(s));
  for (const list of perPolicy) if (list.length === 0) list.push(rng.pick(ruleSelectors));

  const policies: BenchPolicy[] = policySelectors.map((selector, i) => {
    const ns = Number(/namespace == "ns-(\d+)"/.exec(selector)?.[1] ?? 0);
    const name = policyName(ns, i);
    const inbound: Rule[] = [];
    const outbound: Rule[] = [];
    const withEgress = rng.chance(0.25);
    for (const s of perPolicy[i]!) {
      if (withEgress && rng.chance(0.4)) outbound.push(egressRule(rng, s));
      else inbound.push(ingressRule(rng, s));
    }
    if (rng.chance(0.2)) inbound.push({ action: 'allow', protocol: 'tcp', source: { nets: ['198.18.0.0/16'] }, destination: { ports: [rng.pick(PORTS)] } });
    const data: PolicyData = { selector, inbound, outbound };
    if (rng.chance(0.7)) data.order = rng.int(1, 10) * 100;
    const key = formatDatastoreKey({ kind: 'policy', tier: 'default', name });
    return { key, name, data };
  });

  const updates: DatastoreUpdate[] = [];
  for (let ns = 0; ns < spec.namespaces; ns++) {
    const profile = profiles[ns]!;
    updates.push({ kind: 'profileTags', profile, value: [namespaceName(ns)] });
    updates.push({ kind: 'profileLabels', profile, value: { team: teamOf(ns), 'pcns.env': ENVS[ns % ENVS.length]! } });
    updates.push({
      kind: 'profileRules', profile,
      value: { inbound: [{ action: 'allow', source: { tag: namespaceName(ns) } }], outbound: [{ action: 'allow' }] },
    });
  }
  for (const p of policies) updates.push({ kind: 'policy', tier: 'default', name: p.name, value: p.data });
  for (const e of endpoints) updates.push({ kind: 'workloadEndpoint', id: e.id, value: e.data });

  const kvs = updates
    .map((u) => ({ key: formatDatastoreKey(updateKey(u)), value: encodeDatastoreValue(u) }))
    .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  return { spec, seed, node: LOCAL_NODE, nodes, endpoints, policies, profiles, kvs, distinctSelectors: countDistinctSelectors(policies, spec.namespaces) };
}

/** Distinct canonical selectors: policy selectors, rule selectors and notSelectors, tags. */
export function countDistinctSelectors(policies: readonly BenchPolicy[], namespaces: number): number {
  const seen = new Set<string>();
  for (let ns = 0; ns < namespaces; ns++) seen.add(canonical(`has(${namespaceName(ns)})`));
  for (const p of policies) {
    seen.add(canonical(p.data.selector));
    for (const r of [...p.data.inbound, ...p.data.outbound]) {
      for (const e of [r.source, r.destination]) {
        if (e?.selector) seen.add(canonical(e.selector));
        if (e?.notSelector) seen.add(canonical(e.notSelector));
      }
    }
  }
  return seen.size;
}
