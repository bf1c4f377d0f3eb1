// Which policies and profiles apply to each local endpoint, in which order and direction.
import t from 'tap';
import { CalcGraph, CalcInputError, computeDesiredState, policyDirections } from '../../src/calc/index.js';
import type { DatastoreUpdate, Rule } from '../../src/model/types.js';
import { fullProfile, plain, policy, policyDeleted, profileLabels, profileTags, wep, wepDeleted } from './builders.js';

const allow: Rule = { action: 'allow' };

/** Both the graph and the from-scratch computation, which must agree. */
function both(t: { same(...args: any[]): boolean }, node: string, updates: DatastoreUpdate[]) {
  const g = new CalcGraph(node);
  for (const u of updates) g.apply(u);
  const state = g.snapshot();
  t.same(plain(state), plain(computeDesiredState(node, updates)), 'graph and full computation agree');
  return state;
}

t.test('types: given, or from the rules present', (t) => {
  const dirs = (inbound: Rule[], outbound: Rule[], types?: ('ingress' | 'egress')[]) =>
    policyDirections({ selector: '', inbound, outbound, ...(types ? { types } : {}) });
  t.same(dirs([], [allow]), { ingress: false, egress: true }, 'egress rules only: egress');
  t.same(dirs([allow], [allow]), { ingress: true, egress: true }, 'both: both');
  t.same(dirs([allow], []), { ingress: true, egress: false }, 'ingress rules only: ingress');
  t.same(dirs([], []), { ingress: true, egress: false }, 'no rules: ingress');
  t.same(dirs([allow], [], ['egress']), { ingress: false, egress: true }, 'types win over rules');
  t.same(dirs([], [], ['ingress', 'egress']), { ingress: true, egress: true });
  t.same(dirs([], [allow], []), { ingress: false, egress: true }, 'empty types: as if absent');

  const state = both(t, 'n1', [
    wep('n1', 'a'),
    policy('in-only', { inbound: [allow] }),
    policy('out-only', { outbound: [allow] }),
    policy('both', { inbound: [allow], outbound: [allow] }),
    policy('none', {}),
    policy('typed', { inbound: [allow], types: ['egress'] }),
  ]);
  const ep = state.endpoints.get('calia')!;
  t.same(ep.ingressPolicies, ['both', 'in-only', 'none']);
  t.same(ep.egressPolicies, ['both', 'out-only', 'typed']);
  t.end();
});

t.test('order, then name; no order after every ordered policy', (t) => {
  const state = both(t, 'n1', [
    wep('n1', 'a', { labels: { app: 'x' } }),
    policy('z-unordered', { selector: 'app == "x"' }),
    policy('b-ten', { selector: 'has(app)', order: 10 }),
    policy('y-unordered', {}),
    policy('d-one', { order: 1 }),
    policy('c-one', { order: 1 }),
    policy('e-half', { order: 0.5 }),
    policy('f-neg', { order: -3 }),
    policy('other', { selector: 'app == "y"', order: 0 }),
  ]);
  t.same(state.endpoints.get('calia')!.ingressPolicies, ['f-neg', 'e-half', 'c-one', 'd-one', 'b-ten', 'y-unordered', 'z-unordered']);
  t.same([...state.policies.keys()].sort(), ['b-ten', 'c-one', 'd-one', 'e-half', 'f-neg', 'y-unordered', 'z-unordered'],
    'a policy selecting no local endpoint is not in use');

  const g = new CalcGraph('n1');
  g.apply(wep('n1', 'a'));
  g.apply(policy('p1', { order: 1 }));
  g.apply(policy('p2', { order: 2 }));
  g.flush();
  g.apply(policy('p1', { order: 3 }));
  const d = g.flush();
  t.same(d.endpointsChanged.get('calia')?.ingressPolicies, ['p2', 'p1'], 'an order change re-sorts');
  t.equal(d.policiesChanged.size, 0, 'same rules: the policy itself is not rewritten');
  t.end();
});

t.test('only local endpoints; doNotTrack, preDNAT and other tiers do not apply to workloads', (t) => {
  const state = both(t, 'n1', [
    wep('n1', 'a'),
    wep('n2', 'b'),
    policy('plain', {}),
    policy('untracked', { doNotTrack: true }),
    policy('pre-dnat', { preDNAT: true }),
    policy('tiered', { tier: 'other' }),
  ]);
  t.same([...state.endpoints.keys()], ['calia']);
  t.same(state.endpoints.get('calia')!.ingressPolicies, ['plain']);
  t.same([...state.policies.keys()], ['plain']);
  t.end();
});

t.test('a missing profile stays in the list and out of the profiles', (t) => {
  const state = both(t, 'n1', [
    ...fullProfile('exists'),
    profileTags('tags-only', ['x']),
    profileLabels('tags-only', { a: 'b' }),
    ...fullProfile('unused'),
    wep('n1', 'a', { profiles: ['missing', 'exists', 'tags-only'] }),
  ]);
  t.same(state.endpoints.get('calia')!.profileIds, ['missing', 'exists', 'tags-only']);
  t.same([...state.profiles.keys()], ['exists'], 'a profile without rules counts as missing; unused ones are absent');
  t.same(state.profiles.get('exists')!.outbound[0]!.action, 'allow');
  t.end();
});

t.test('an inactive endpoint stays, marked inactive', (t) => {
  const state = both(t, 'n1', [
    ...fullProfile('p'),
    wep('n1', 'a', { state: 'inactive', profiles: ['p'], v4: ['198.18.0.1/32'], mac: '02:00:00:00:00:01' }),
    policy('all', {}),
  ]);
  const ep = state.endpoints.get('calia')!;
  t.equal(ep.active, false);
  t.equal(ep.mac, '02:00:00:00:00:01');
  t.same(ep.ipv4Nets, ['198.18.0.1/32']);
  t.equal(ep.id, 'n1/k8s/wl-a/a');
  t.end();
});

t.test('two local endpoints with one interface name: the least key shows, the other takes over', (t) => {
  const g = new CalcGraph('n1');
  g.apply(wep('n1', 'b', { iface: 'cali0', labels: { who: 'b' } }));
  g.apply(wep('n1', 'a', { iface: 'cali0', labels: { who: 'a' } }));
  t.equal(g.snapshot().endpoints.get('cali0')!.id, 'n1/k8s/wl-a/a');
  g.flush();
  g.apply(wepDeleted('n1', 'a'));
  const d = g.flush();
  t.equal(d.endpointsChanged.get('cali0')!.id, 'n1/k8s/wl-b/b');
  t.equal(d.endpointsRemoved.size, 0);
  g.apply(wepDeleted('n1', 'b'));
  t.same([...g.flush().endpointsRemoved], ['cali0']);
  t.end();
});

t.test('deleting a policy and moving an endpoint between interfaces', (t) => {
  const g = new CalcGraph('n1');
  g.apply(wep('n1', 'a', { iface: 'cali1' }));
  g.apply(policy('p', { inbound: [allow] }));
  g.flush();
  g.apply(wep('n1', 'a', { iface: 'cali2' }));
  let d = g.flush();
  t.same([...d.endpointsRemoved], ['cali1']);
  t.same([...d.endpointsChanged.keys()], ['cali2']);
  g.apply(policyDeleted('p'));
  d = g.flush();
  t.same([...d.policiesRemoved], ['p']);
  t.same(d.endpointsChanged.get('cali2')!.ingressPolicies, []);
  t.end();
});

t.test('a bad selector is reported, never thrown, and its policy counts as deleted (as in Felix)', (t) => {
  const g = new CalcGraph('n1');
  g.apply(wep('n1', 'a'));
  g.apply(policy('p', { selector: 'all()', order: 1 }));
  t.same(g.flush().endpointsChanged.get('calia')!.ingressPolicies, ['p']);
  let err = g.apply(policy('p', { selector: 'app ==' }));
  t.type(err, CalcInputError);
  t.match(err!.message, /policy "p" selector "app =="/, 'the error names the record, the field and the value');
  err = g.apply(policy('q', { inbound: [{ action: 'allow', source: { notSelector: 'has(' } }] }));
  t.match(err!.message, /policy "q" inbound rule 1 source notSelector "has\("/);
  const d = g.flush();
  t.same([...d.policiesRemoved], ['p'], 'the last valid value of p no longer counts');
  t.same(d.endpointsChanged.get('calia')!.ingressPolicies, []);
  t.same(d.policiesChanged.size, 0, 'q is not in use');
  t.equal(g.apply(policy('p', { selector: 'all()', order: 1 })), undefined, 'a valid value again: no error');
  t.same(g.snapshot().endpoints.get('calia')!.ingressPolicies, ['p']);
  const updates = [wep('n1', 'a'), policy('p', { selector: 'app ==' }), policy('r', {})];
  const invalid: string[] = [];
  const full = computeDesiredState('n1', updates, { onInvalid: (i) => invalid.push(i.key) });
  t.same(full.endpoints.get('calia')!.ingressPolicies, ['r'], 'the full computation agrees');
  t.same(invalid, ['/calico/v1/policy/tier/default/policy/p']);
  t.end();
});

t.test('a re-sent identical update changes nothing', (t) => {
  const g = new CalcGraph('n1');
  const updates = [...fullProfile('p'), wep('n1', 'a', { profiles: ['p'], v4: ['198.18.0.1/32'] }), policy('q', { inbound: [{ action: 'allow', source: { selector: 'has(x)' } }] })];
  for (const u of updates) g.apply(u);
  g.flush();
  for (const u of updates) g.apply(JSON.parse(JSON.stringify(u)) as DatastoreUpdate);
  const d = g.flush();
  t.same([d.endpointsChanged.size, d.policiesChanged.size, d.profilesChanged.size, d.ipSetsCreated.size, d.ipSetMembers.size], [0, 0, 0, 0, 0]);
  t.end();
});
