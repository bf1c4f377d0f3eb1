// Incremental equals full (issue 4): a seeded random sequence of 1,000 raw datastore events
// (key + JSON value, or a deletion) over a random cluster of three nodes, fed one by one to the
// graph as the agent feeds a watch. After every event:
//  - the graph's snapshot equals the desired state computed from scratch from the datastore
//    contents (computeDesiredState of everything listed, invalid values left out);
//  - the flushed deltas, folded onto the previous state, lead to it too (flushes come after most
//    events and sometimes only after a burst of several);
//  - an invalid value is reported with its key and counts as a deletion, never a throw;
//  - stats() agree with the snapshot.
// At checkpoints a graph built from a listing and one resynced from an older listing agree too.
// A failure names the seed and the step; CALC_SEEDS=1,2,3 runs other seeds.
import { isDeepStrictEqual } from 'node:util';
import t from 'tap';
import {
  CalcGraph, applyDelta, computeDesiredState, createCalcGraph, updatesFromKVs,
  type CalcStats, type DesiredStateDelta, type EventOutcome, type RawKV,
} from '../../src/calc/index.js';
import type { DesiredState } from '../../compiler/desired-state.js';
import { encodeDatastoreValue, formatDatastoreKey, updateKey } from '../../src/model/storage.js';
import type {
  DatastoreUpdate, EntityRule, HostEndpointData, Labels, PolicyData, PolicyType, Rule, WorkloadEndpointData, WorkloadEndpointId,
} from '../../src/model/types.js';
import { plain, rng } from './builders.js';

const NODE = 'node-1';
const NODES = [NODE, 'node-2', 'node-3'];
const LABEL_KEYS = ['app', 'tier', 'env', 'web', 'db', '__proto__'];
const LABEL_VALUES = ['a', 'b', 'c', ''];
const PROFILES = ['web', 'db', 'app', 'ops', 'gone']; // 'gone' never gets rules: a missing profile
const TAGS = ['web', 'db', 'app', 'tier', 'blue'];
const SELECTORS = [
  'all()', 'app == "a"', 'app == "b"', 'has(tier)', '!has(app)', 'env in {"a", "b"}', 'env not in {"a"}',
  'app != "b"', 'tier == "a" && has(env)', 'app == "a" || tier == "b"', 'has(web)', 'web == ""', 'db == "c"',
  'has(blue)', 'app == "a" && app == "b"', 'app starts with "a"', '!(app == "a" || has(db))', 'has(app) && !has(db)',
];
const POLICIES = Array.from({ length: 10 }, (_, i) => `pol-${i}`);
const ORDERS = [undefined, 1, 2, 2, 10, 100.5];
const IPS4 = Array.from({ length: 24 }, (_, i) => `198.18.${i % 3}.${10 + (i % 8)}/32`); // repeats on purpose
const IPS6 = ['fd00::1/128', 'fd00::2/128', 'fd00::3/128'];
const IFACES = ['cali1', 'cali2', 'cali3', 'cali4', 'cali5', 'cali6', 'cali7', 'cali8'];

/** Values that fail validation, per kind of key; each must be reported and count as a deletion. */
const BAD_ENDPOINT = [
  '{not json',
  '{"state":"active","name":"cali x -j ACCEPT","ipv4_nets":["198.18.0.9/32"]}',
  '{"state":"active","name":"cali1","labels":{"app":"x\\" -j ACCEPT"}}',
  '{"state":"active","name":"cali1","labels":{"a b":"x"}}',
  '{"state":"active","name":"cali1","ipv4_nets":["10.0.0.0/8"]}',
  '{"state":"active","name":"cali1","profile_ids":["bad name"]}',
  '{"state":"active"}',
  '[]',
];
const BAD_POLICY = [
  '{"selector":"app ==","inbound_rules":[],"outbound_rules":[]}',
  '{"selector":"all()","inbound_rules":[{"action":"allow","src_selector":"has("}]}',
  '{"selector":"all()","order":"first"}',
  '{"selector":"all()","types":["sideways"]}',
  '{"selector":"all()","inbound_rules":[{"action":"allow","dst_ports":[80]}]}',
  'null',
];
const BAD_TAGS = ['["ok","bad tag"]', '["-j ACCEPT"]', '{"a":"b"}'];
const BAD_LABELS = ['{"k":"v\\n-j ACCEPT"}', '["a"]', '{"k":1}'];
const BAD_RULES = ['{"inbound_rules":[{"action":"explode"}]}', '{"inbound_rules":[{"action":"allow","protocol":"tcp","dst_ports":[0]}]}'];
const FOREIGN_KEYS = ['/calico/v1/config/LogSeverityScreen', '/calico/v1/policy/tier/default/metadata', '/calico/v1/host/node-1/config/x'];

interface Event {
  key: string;
  value?: string;
  /** What the graph must say about it. */
  expect: EventOutcome['status'];
  what: string;
}

/** The random cluster: keeps the valid records it wrote, so later events change existing ones. */
function generator(seed: number) {
  const r = rng(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;
  const some = <T>(xs: readonly T[], max: number): T[] => Array.from({ length: Math.floor(r() * (max + 1)) }, () => pick(xs));
  const labels = (max: number): Labels => {
    const out = Object.create(null) as Record<string, string>;
    for (const k of some(LABEL_KEYS, max)) out[k] = pick(LABEL_VALUES);
    return out;
  };
  const side = (): EntityRule | undefined => {
    if (r() < 0.3) return undefined;
    const e: EntityRule = {};
    if (r() < 0.35) e.tag = pick(TAGS);
    if (r() < 0.4) e.selector = pick(SELECTORS);
    if (r() < 0.2) e.notTag = pick(TAGS);
    if (r() < 0.25) e.notSelector = pick(SELECTORS);
    if (r() < 0.2) e.nets = some(['10.1.0.0/16', '10.2.0.0/16', '10.0.0.0/8'], 2);
    if (r() < 0.1) e.notNets = ['10.9.0.0/16'];
    return e;
  };
  const rule = (): Rule => {
    const rl: Rule = { action: pick(['allow', 'deny', 'log', 'pass'] as const) };
    if (r() < 0.3) {
      rl.protocol = 'tcp';
      if (r() < 0.5) rl.destination = { ports: some([80, 443, '8000:8080'], 2) };
    }
    const s = side();
    const d = side();
    if (s) rl.source = s;
    if (d) rl.destination = { ...rl.destination, ...d };
    return rl;
  };
  const rules = (max: number): Rule[] => Array.from({ length: Math.floor(r() * (max + 1)) }, rule);

  // The valid records the datastore holds now, by key.
  const endpoints = new Map<string, { id: WorkloadEndpointId; value: WorkloadEndpointData }>();
  const policies = new Map<string, PolicyData>();

  const put = (u: DatastoreUpdate, what: string): Event => {
    const key = formatDatastoreKey(updateKey(u));
    if (u.kind === 'workloadEndpoint') {
      if (u.value) endpoints.set(key, { id: u.id, value: u.value });
      else endpoints.delete(key);
    }
    if (u.kind === 'policy' && u.tier === 'default') {
      if (u.value) policies.set(u.name, u.value);
      else policies.delete(u.name);
    }
    return u.value === undefined ? { key, expect: 'applied', what } : { key, value: encodeDatastoreValue(u), expect: 'applied', what };
  };
  const bad = (key: string, value: string, what: string): Event => {
    endpoints.delete(key);
    const name = key.split('/').pop()!;
    if (key.includes('/tier/default/policy/')) policies.delete(name);
    return { key, value, expect: 'invalid', what };
  };

  const newEndpointValue = (): WorkloadEndpointData => ({
    state: r() < 0.85 ? 'active' : 'inactive',
    interfaceName: pick(IFACES),
    ...(r() < 0.5 ? { mac: 'ee:ee:ee:ee:ee:ee' } : {}),
    profileIds: [...new Set(some(PROFILES, 3))],
    ipv4Nets: [...new Set(some(IPS4, 2))],
    ipv6Nets: r() < 0.25 ? [pick(IPS6)] : [],
    labels: labels(3),
  });
  const newPolicy = (): PolicyData => {
    const order = pick(ORDERS);
    const types: PolicyType[] | undefined = r() < 0.3 ? pick([['ingress'], ['egress'], ['ingress', 'egress']] as PolicyType[][]) : undefined;
    return {
      selector: r() < 0.1 ? '' : pick(SELECTORS),
      inbound: rules(2),
      outbound: rules(2),
      ...(order !== undefined ? { order } : {}),
      ...(types ? { types } : {}),
      ...(r() < 0.05 ? { doNotTrack: true } : {}),
    };
  };
  const existingEndpoint = () => (endpoints.size ? pick([...endpoints.values()]) : undefined);
  const existingPolicy = () => (policies.size ? pick([...policies.keys()]) : undefined);
  const wepUpdate = (id: WorkloadEndpointId, value?: WorkloadEndpointData): DatastoreUpdate =>
    value ? { kind: 'workloadEndpoint', id, value } : { kind: 'workloadEndpoint', id };

  /** One logical change; a move to another node is two events (delete, then add). */
  return (): Event[] => {
    const x = r();
    const ep = existingEndpoint();
    if (x < 0.16 || !ep) {
      const id = { node: pick(NODES), orchestrator: 'k8s', workload: `w${Math.floor(r() * 6)}`, name: `eth${Math.floor(r() * 2)}` };
      return [put(wepUpdate(id, newEndpointValue()), 'endpoint put')];
    }
    if (x < 0.28) return [put(wepUpdate(ep.id, { ...ep.value, labels: labels(3) }), 'endpoint labels')];
    if (x < 0.31) return [put(wepUpdate(ep.id, { ...ep.value, profileIds: [...new Set(some(PROFILES, 3))] }), 'endpoint profiles')];
    if (x < 0.35) {
      const to = pick(NODES.filter((n) => n !== ep.id.node));
      return [put(wepUpdate(ep.id), 'move: delete'), put(wepUpdate({ ...ep.id, node: to }, ep.value), `move to ${to}`)];
    }
    if (x < 0.38) {
      const v = ep.value;
      const change = pick([
        { state: v.state === 'active' ? 'inactive' : 'active' },
        { interfaceName: pick(IFACES) },
        { ipv4Nets: [...new Set(some(IPS4, 2))] },
        { ipv6Nets: r() < 0.5 ? [pick(IPS6)] : [] },
      ]);
      return [put(wepUpdate(ep.id, { ...v, ...change }), `endpoint ${Object.keys(change)[0]}`)];
    }
    if (x < 0.45) return [put(wepUpdate(ep.id), 'endpoint delete')];
    if (x < 0.48) {
      const id = { node: pick(NODES), name: `h${Math.floor(r() * 2)}` };
      if (r() < 0.3) return [put({ kind: 'hostEndpoint', id }, 'host endpoint delete')];
      const value: HostEndpointData = {
        interfaceName: 'eth0', expectedIpv4Addrs: some(['198.18.5.1', '198.18.0.10'], 2), expectedIpv6Addrs: r() < 0.3 ? ['fd00::9'] : [],
        profileIds: [...new Set(some(PROFILES, 2))], labels: labels(2),
      };
      return [put({ kind: 'hostEndpoint', id, value }, 'host endpoint put')];
    }
    const profile = pick(PROFILES);
    if (x < 0.54) return [put(r() < 0.2 ? { kind: 'profileTags', profile } : { kind: 'profileTags', profile, value: [...new Set(some(TAGS, 3))] }, 'profile tags')];
    if (x < 0.60) return [put(r() < 0.2 ? { kind: 'profileLabels', profile } : { kind: 'profileLabels', profile, value: labels(3) }, 'profile labels')];
    if (x < 0.66) {
      if (profile === 'gone') return [put({ kind: 'profileRules', profile }, 'profile rules delete')];
      return [put(r() < 0.15 ? { kind: 'profileRules', profile } : { kind: 'profileRules', profile, value: { inbound: rules(2), outbound: rules(2) } }, 'profile rules')];
    }
    const pol = existingPolicy();
    const policyUpdate = (name: string, value?: PolicyData, tier = 'default'): DatastoreUpdate =>
      value ? { kind: 'policy', tier, name, value } : { kind: 'policy', tier, name };
    if (x < 0.74 || pol === undefined) return [put(policyUpdate(pick(POLICIES), newPolicy()), 'policy put')];
    const old = policies.get(pol)!;
    if (x < 0.78) return [put(policyUpdate(pol, { ...old, selector: pick(SELECTORS) }), 'policy selector')];
    if (x < 0.81) {
      const { order: _drop, ...rest } = old;
      const order = pick(ORDERS);
      return [put(policyUpdate(pol, order === undefined ? rest : { ...rest, order }), 'policy order')];
    }
    if (x < 0.84) return [put(policyUpdate(pol, { ...old, inbound: rules(2), outbound: rules(2) }), 'policy rules')];
    if (x < 0.88) return [put(policyUpdate(pol), 'policy delete')];
    // Invalid values, foreign keys, another tier.
    if (x < 0.91) {
      const key = r() < 0.7 ? formatDatastoreKey(updateKey(wepUpdate(ep.id))) : `/calico/v1/host/${pick(NODES)}/workload/k8s/w9/endpoint/eth0`;
      return [bad(key, pick(BAD_ENDPOINT), 'invalid endpoint')];
    }
    if (x < 0.94) return [bad(`/calico/v1/policy/tier/default/policy/${pol}`, pick(BAD_POLICY), 'invalid policy')];
    if (x < 0.97) {
      const [kind, values] = pick([['tags', BAD_TAGS], ['labels', BAD_LABELS], ['rules', BAD_RULES]] as const);
      return [bad(`/calico/v1/policy/profile/${profile}/${kind}`, pick(values), `invalid profile ${kind}`)];
    }
    if (x < 0.985) return [{ key: pick(FOREIGN_KEYS), value: '"x"', expect: 'ignored', what: 'foreign key' }];
    return [{ ...put(policyUpdate(pick(POLICIES), newPolicy(), 'other'), 'other tier'), expect: 'ignored' }];
  };
}

const EMPTY: DesiredState = { endpoints: new Map(), policies: new Map(), profiles: new Map(), ipSets: new Map() };

function statsOf(state: DesiredState): Omit<CalcStats, 'datastoreKeys' | 'invalidKeys'> {
  let members = 0;
  for (const s of state.ipSets.values()) members += s.v4.size + s.v6.size;
  return {
    localEndpoints: state.endpoints.size, activePolicies: state.policies.size, activeProfiles: state.profiles.size,
    ipSets: state.ipSets.size, ipSetMembers: members,
  };
}

/**
 * A delta must be exact, not just lead to the right state: it adds only members that were
 * absent, removes only members that were present, and reports only entries that really changed.
 */
function deltaProblem(prev: DesiredState, d: DesiredStateDelta): string | undefined {
  for (const [id, m] of d.ipSetMembers) {
    const s = prev.ipSets.get(id);
    if (s === undefined) return `member delta for ${id}, which did not exist`;
    if (m.addedV4.some((a) => s.v4.has(a)) || m.addedV6.some((a) => s.v6.has(a))) return `${id}: adds a member it had`;
    if (m.removedV4.some((a) => !s.v4.has(a)) || m.removedV6.some((a) => !s.v6.has(a))) return `${id}: removes a member it lacked`;
    if (m.addedV4.length + m.removedV4.length + m.addedV6.length + m.removedV6.length === 0) return `${id}: empty member delta`;
  }
  for (const id of d.ipSetsCreated.keys()) if (prev.ipSets.has(id)) return `creates ${id}, which existed`;
  for (const id of d.ipSetsDeleted) if (!prev.ipSets.has(id)) return `deletes ${id}, which did not exist`;
  const maps = [
    ['endpoint', prev.endpoints, d.endpointsChanged, d.endpointsRemoved],
    ['policy', prev.policies, d.policiesChanged, d.policiesRemoved],
    ['profile', prev.profiles, d.profilesChanged, d.profilesRemoved],
  ] as const;
  for (const [what, before, changed, removed] of maps) {
    for (const k of removed) if (!(before as ReadonlyMap<string, unknown>).has(k)) return `removes ${what} ${k}, which did not exist`;
    for (const [k, v] of changed as ReadonlyMap<string, unknown>) {
      if (isDeepStrictEqual((before as ReadonlyMap<string, unknown>).get(k), v)) return `reports ${what} ${k} as changed, but it is equal`;
    }
  }
  return undefined;
}

interface Failure {
  step: number;
  event: Event;
  what: string;
  got: unknown;
  want: unknown;
}

function runSequence(seed: number, steps: number) {
  const next = generator(seed);
  const r = rng(seed ^ 0x5eed);
  const graph = new CalcGraph(NODE);
  const store = new Map<string, string>(); // the datastore: raw values as written
  let folded = EMPTY;
  let olderListing: RawKV[] = [];
  const seen = { invalid: 0, ignored: 0, moves: 0, ipSets: 0, members: 0, v6Members: 0, multiPolicy: 0, inactive: 0, missingProfile: 0, memberDeltas: 0, resyncRemoved: 0 };
  const listing = (): RawKV[] => [...store].map(([key, value]) => ({ key, value }));
  let failure: Failure | undefined;
  let step = 0;

  while (step < steps && !failure) {
    for (const event of next()) {
      if (++step > steps || failure) break;
      const fail = (what: string, got: unknown, want: unknown) => (failure = { step, event, what, got, want });
      if (event.value === undefined) store.delete(event.key);
      else store.set(event.key, event.value);
      if (event.what.startsWith('move to')) seen.moves++;

      let outcome: EventOutcome;
      try {
        outcome = graph.applyEvent(event.key, event.value);
      } catch (err) {
        fail('applyEvent does not throw', String(err), 'an outcome');
        break;
      }
      if (outcome.status !== event.expect) fail(`outcome of ${event.what}`, outcome, event.expect);
      if (outcome.status === 'invalid') {
        seen.invalid++;
        if (outcome.key !== event.key || !outcome.error.includes(event.key)) fail('the error names the key', outcome, event.key);
      }
      if (outcome.status === 'ignored') seen.ignored++;

      const ingest = updatesFromKVs(listing());
      const full = computeDesiredState(NODE, ingest.updates);
      const want = plain(full);
      const got = plain(graph.snapshot());
      if (!isDeepStrictEqual(got, want)) {
        fail('snapshot', got, want);
        break;
      }
      const stats = graph.stats();
      const wantStats = { ...statsOf(full), datastoreKeys: ingest.updates.filter((u) => u.value !== undefined && !(u.kind === 'policy' && u.tier !== 'default')).length, invalidKeys: ingest.invalid.length };
      if (!isDeepStrictEqual(stats, wantStats)) fail('stats', stats, wantStats);
      if (r() < 0.7 || step === steps) {
        const delta = graph.flush();
        const problem = deltaProblem(folded, delta);
        if (problem) fail('an exact delta', problem, 'none');
        for (const d of delta.ipSetMembers.values()) seen.memberDeltas += d.addedV4.length + d.removedV4.length + d.addedV6.length + d.removedV6.length;
        folded = applyDelta(folded, delta);
        const f = plain(folded);
        if (!isDeepStrictEqual(f, want)) fail('folded deltas', f, want);
      }

      // Checkpoints: a graph built from the listing agrees, and so does one resynced from the
      // previous checkpoint's listing (keys deleted since must go, with a proportional delta).
      if (step % 200 === 0) {
        const built = createCalcGraph(NODE, listing());
        const b = plain(built.graph.snapshot());
        if (!isDeepStrictEqual(b, want)) fail('graph built from a listing', b, want);
        if (built.invalid.length !== ingest.invalid.length) fail('invalid keys of the listing', built.invalid, ingest.invalid);
        const old = createCalcGraph(NODE, olderListing).graph;
        let state = applyDelta(EMPTY, old.flush());
        const resync = old.resync(listing());
        seen.resyncRemoved += resync.removed.length;
        state = applyDelta(state, old.flush());
        if (!isDeepStrictEqual(plain(state), want)) fail('resync from an older listing', plain(state), want);
        olderListing = listing();
      }

      seen.ipSets = Math.max(seen.ipSets, full.ipSets.size);
      for (const s of full.ipSets.values()) {
        seen.members = Math.max(seen.members, s.v4.size);
        seen.v6Members = Math.max(seen.v6Members, s.v6.size);
      }
      for (const e of full.endpoints.values()) {
        if (e.ingressPolicies.length + e.egressPolicies.length >= 2) seen.multiPolicy++;
        if (!e.active) seen.inactive++;
        if (e.profileIds.some((p) => !full.profiles.has(p))) seen.missingProfile++;
      }
    }
  }
  return { failure, seen };
}

const seeds = process.env.CALC_SEEDS ? process.env.CALC_SEEDS.split(',').map(Number) : [20240601, 7];
for (const seed of seeds) {
  t.test(`1,000 random datastore events, seed ${seed}`, (t) => {
    const { failure, seen } = runSequence(seed, 1000);
    if (failure) {
      t.same(failure.got, failure.want,
        `${failure.what} at step ${failure.step} (seed ${seed}), after ${failure.event.what}: ${failure.event.key} = ${failure.event.value ?? '(deleted)'}`);
      return t.end();
    }
    t.pass('after every event the snapshot, the folded deltas and the stats equal the full computation; every delta is exact');
    // The sequence really exercised the interesting parts.
    t.ok(seen.invalid >= 20, `invalid values (${seen.invalid})`);
    t.ok(seen.ignored >= 5, `ignored keys (${seen.ignored})`);
    t.ok(seen.moves >= 10, `endpoints moved between nodes (${seen.moves})`);
    t.ok(seen.ipSets >= 5, `several IP sets at once (max ${seen.ipSets})`);
    t.ok(seen.members >= 3, `sets with several members (max ${seen.members})`);
    t.ok(seen.v6Members >= 1, `IPv6 members (max ${seen.v6Members})`);
    t.ok(seen.multiPolicy > 0, 'endpoints selected by several policies');
    t.ok(seen.inactive > 0, 'inactive endpoints');
    t.ok(seen.missingProfile > 0, 'endpoints with a missing profile');
    t.ok(seen.memberDeltas > 0, `member-level IP set deltas (${seen.memberDeltas})`);
    t.ok(seen.resyncRemoved > 0, `resync deleted keys the listing lost (${seen.resyncRemoved})`);
    t.end();
  });
}
