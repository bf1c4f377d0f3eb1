// Incremental equals full: a seeded random sequence of datastore updates over a random cluster;
// after every update the incrementally maintained snapshot equals the desired state computed
// from scratch, and the flushed deltas, folded onto the previous state, lead to it too.
import { isDeepStrictEqual } from 'node:util';
import t from 'tap';
import { CalcGraph, applyDelta, computeDesiredState } from '../../src/calc/index.js';
import type { DesiredState } from '../../compiler/desired-state.js';
import type { DatastoreUpdate, EntityRule, Labels, PolicyType, Rule } from '../../src/model/types.js';
import { plain } from './builders.js';

/** mulberry32: small, seedable, good enough to shuffle a test cluster. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let x = a;
    x = Math.imul(x ^ (x >>> 15), x | 1);
    x ^= x + Math.imul(x ^ (x >>> 7), x | 61);
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
  };
}

const NODE = 'node-1';
const NODES = [NODE, 'node-2', 'node-3'];
const LABEL_KEYS = ['app', 'tier', 'env', 'web', 'db'];
const LABEL_VALUES = ['a', 'b', 'c', ''];
const PROFILES = ['web', 'db', 'app', 'ops', 'gone'];
const TAGS = ['web', 'db', 'app', 'tier', 'blue'];
const SELECTORS = [
  '', 'all()', 'app == "a"', 'app == "b"', 'has(tier)', '!has(app)', 'env in {"a", "b"}', 'env not in {"a"}',
  'app != "b"', 'tier == "a" && has(env)', 'app == "a" || tier == "b"', 'has(web)', 'web == ""', 'db == "c"',
  'has(blue)', 'app == "a" && app == "b"', 'app starts with "a"', '!(app == "a" || has(db))',
];
const POLICIES = Array.from({ length: 10 }, (_, i) => `pol-${i}`);
const ORDERS = [undefined, 1, 2, 2, 10, 100.5];
const IPS4 = Array.from({ length: 24 }, (_, i) => `198.18.${i % 3}.${10 + (i % 8)}/32`); // repeats on purpose
const IPS6 = ['fd00::1/128', 'fd00::2/128', 'fd00::3/128'];
const IFACES = ['cali1', 'cali2', 'cali3', 'cali4', 'cali5', 'cali6', 'cali7', 'cali8'];

function gen(seed: number) {
  const r = rng(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;
  const some = <T>(xs: readonly T[], max: number): T[] => {
    const n = Math.floor(r() * (max + 1));
    return Array.from({ length: n }, () => pick(xs));
  };
  const labels = (max: number): Labels => {
    const out: Record<string, string> = {};
    for (const k of some(LABEL_KEYS, max)) out[k] = pick(LABEL_VALUES);
    return out;
  };
  const side = (): EntityRule | undefined => {
    if (r() < 0.3) return undefined;
    const e: EntityRule = {};
    if (r() < 0.35) e.tag = pick(TAGS);
    if (r() < 0.4) e.selector = pick(SELECTORS.filter((s) => s !== ''));
    if (r() < 0.2) e.notTag = pick(TAGS);
    if (r() < 0.25) e.notSelector = pick(SELECTORS.filter((s) => s !== ''));
    if (r() < 0.2) e.net = pick(['10.0.0.0/8', '192.168.0.0/16']);
    if (r() < 0.15) e.nets = some(['10.1.0.0/16', '10.2.0.0/16', '10.0.0.0/8'], 3);
    if (r() < 0.1) e.notNets = ['10.9.0.0/16'];
    if (r() < 0.2) e.ports = some([80, 443, '8000:8080'], 3);
    return e;
  };
  const rule = (): Rule => {
    const rl: Rule = { action: pick(['allow', 'deny', 'log', 'pass'] as const) };
    if (r() < 0.3) rl.protocol = pick(['tcp', 'udp', 'icmp', 6]);
    if (r() < 0.1) rl.icmp = { type: 8, code: 0 };
    const s = side();
    const d = side();
    if (s) rl.source = s;
    if (d) rl.destination = d;
    return rl;
  };
  const rules = (max: number): Rule[] => Array.from({ length: Math.floor(r() * (max + 1)) }, rule);
  const wepId = () => ({ node: pick(NODES), orchestrator: 'k8s', workload: `w${Math.floor(r() * 5)}`, name: `eth${Math.floor(r() * 3)}` });

  return (): DatastoreUpdate => {
    const x = r();
    if (x < 0.4) {
      return {
        kind: 'workloadEndpoint',
        id: wepId(),
        value: {
          state: r() < 0.85 ? 'active' : 'inactive',
          interfaceName: pick(IFACES),
          ...(r() < 0.5 ? { mac: 'ee:ee:ee:ee:ee:ee' } : {}),
          profileIds: some(PROFILES, 3),
          ipv4Nets: some(IPS4, 2),
          ipv6Nets: r() < 0.2 ? some(IPS6, 1) : [],
          labels: labels(3),
        },
      };
    }
    if (x < 0.5) return { kind: 'workloadEndpoint', id: wepId() };
    if (x < 0.54) {
      const id = { node: pick(NODES), name: `h${Math.floor(r() * 2)}` };
      if (r() < 0.3) return { kind: 'hostEndpoint', id };
      return {
        kind: 'hostEndpoint',
        id,
        value: { interfaceName: 'eth0', expectedIpv4Addrs: some(['198.18.5.1', '198.18.0.10'], 2), expectedIpv6Addrs: [], profileIds: some(PROFILES, 2), labels: labels(2) },
      };
    }
    if (x < 0.62) {
      const profile = pick(PROFILES);
      return r() < 0.2 ? { kind: 'profileTags', profile } : { kind: 'profileTags', profile, value: some(TAGS, 3) };
    }
    if (x < 0.7) {
      const profile = pick(PROFILES);
      return r() < 0.2 ? { kind: 'profileLabels', profile } : { kind: 'profileLabels', profile, value: labels(3) };
    }
    if (x < 0.78) {
      const profile = pick(PROFILES);
      return r() < 0.2 ? { kind: 'profileRules', profile } : { kind: 'profileRules', profile, value: { inbound: rules(2), outbound: rules(2) } };
    }
    const name = pick(POLICIES);
    if (x < 0.86) return { kind: 'policy', tier: 'default', name };
    const order = pick(ORDERS);
    const types: PolicyType[] | undefined = r() < 0.3 ? pick([['ingress'], ['egress'], ['ingress', 'egress']] as PolicyType[][]) : undefined;
    return {
      kind: 'policy',
      tier: r() < 0.03 ? 'other' : 'default',
      name,
      value: {
        selector: pick(SELECTORS),
        inbound: rules(2),
        outbound: rules(2),
        ...(order !== undefined ? { order } : {}),
        ...(types ? { types } : {}),
        ...(r() < 0.05 ? { doNotTrack: true } : {}),
      },
    };
  };
}

interface Mismatch {
  step: number;
  update: DatastoreUpdate;
  what: string;
  got: unknown;
  want: unknown;
}

/** Runs the sequence; stops at the first mismatch. */
function runSequence(seed: number, steps: number) {
  const next = gen(seed);
  const graph = new CalcGraph(NODE);
  const history: DatastoreUpdate[] = [];
  let folded: DesiredState = { endpoints: new Map(), policies: new Map(), profiles: new Map(), ipSets: new Map() };
  const seen = { ipSets: 0, members: 0, multiPolicy: 0, profiles: 0, inactive: 0, ipSetDeltas: 0 };
  const r = rng(seed ^ 0x5eed);
  let mismatch: Mismatch | undefined;

  for (let step = 1; step <= steps && !mismatch; step++) {
    const update = next();
    graph.apply(update);
    history.push(update);
    const full = computeDesiredState(NODE, history);
    const want = plain(full);
    const snap = plain(graph.snapshot());
    if (!isDeepStrictEqual(snap, want)) {
      mismatch = { step, update, what: 'snapshot', got: snap, want };
      break;
    }
    // Flush after most updates, and sometimes only after a batch of several.
    if (r() < 0.7 || step === steps) {
      const delta = graph.flush();
      seen.ipSetDeltas += delta.ipSetMembers.size;
      folded = applyDelta(folded, delta);
      const got = plain(folded);
      if (!isDeepStrictEqual(got, want)) mismatch = { step, update, what: 'folded deltas', got, want };
    }
    seen.ipSets = Math.max(seen.ipSets, full.ipSets.size);
    for (const s of full.ipSets.values()) seen.members = Math.max(seen.members, s.v4.size);
    for (const e of full.endpoints.values()) {
      if (e.ingressPolicies.length + e.egressPolicies.length >= 2) seen.multiPolicy++;
      if (!e.active) seen.inactive++;
    }
    seen.profiles = Math.max(seen.profiles, full.profiles.size);
  }
  return { mismatch, seen };
}

const seeds = process.env.CALC_SEEDS ? process.env.CALC_SEEDS.split(',').map(Number) : [20240601, 7];
for (const seed of seeds) {
  t.test(`1,000 random updates, seed ${seed}`, (t) => {
    const { mismatch, seen } = runSequence(seed, 1000);
    if (mismatch) {
      // t.same prints the diff between the two plain states.
      t.same(mismatch.got, mismatch.want,
        `${mismatch.what} equals the full computation at step ${mismatch.step}, after ${JSON.stringify(mismatch.update)}`);
    } else t.pass('after every update the snapshot and the folded deltas equal the full computation');
    // The sequence really exercised the interesting parts.
    t.ok(seen.ipSets >= 5, `several IP sets at once (max ${seen.ipSets})`);
    t.ok(seen.members >= 3, `sets with several members (max ${seen.members})`);
    t.ok(seen.multiPolicy > 0, 'endpoints selected by several policies');
    t.ok(seen.profiles >= 2, 'several profiles in use');
    t.ok(seen.inactive > 0, 'inactive endpoints');
    t.ok(seen.ipSetDeltas > 0, 'member-level IP set deltas');
    t.end();
  });
}
