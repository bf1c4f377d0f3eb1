// Rule resolution into IP sets, and IP set membership across the cluster.
import t from 'tap';
import { CalcGraph, computeDesiredState } from '../../src/calc/index.js';
import type { DatastoreUpdate, EntityRule, Rule } from '../../src/model/types.js';
import { parseSelector } from '../../src/selector/index.js';
import { fullProfile, hep, plain, policy, policyDeleted, wep, wepDeleted } from './builders.js';

const id = (text: string): string => parseSelector(text).uniqueId();

/** The first inbound rule of policy "p" selecting local endpoint "a", with the given source. */
function resolveSource(source: EntityRule, extra: Partial<Rule> = {}) {
  const updates: DatastoreUpdate[] = [wep('n1', 'a'), policy('p', { inbound: [{ action: 'allow', source, ...extra }] })];
  const g = new CalcGraph('n1');
  for (const u of updates) g.apply(u);
  const state = g.snapshot();
  return { rule: state.policies.get('p')!.inbound[0]!, state, full: computeDesiredState('n1', updates) };
}

t.test('tag and selector combine into one positive set', (t) => {
  const { rule, state, full } = resolveSource({ tag: 'web', selector: "app == 'a'" });
  const want = id('(app == "a") && has(web)');
  t.same(rule.srcIpSetIds, [want]);
  t.same(rule.notSrcIpSetIds, []);
  t.same([...state.ipSets.keys()], [want]);
  t.equal(state.ipSets.get(want)!.selector, parseSelector('(app == "a") && has(web)').toString());
  t.same(plain(state), plain(full));
  t.end();
});

t.test('a tag alone is has(tag)', (t) => {
  const { rule } = resolveSource({ tag: 'web' });
  t.same(rule.srcIpSetIds, [id('has(web)')]);
  t.end();
});

t.test('selector and notSelector combine as (sel) && !(notsel); a notTag filters it too', (t) => {
  let { rule } = resolveSource({ selector: 'has(app)', notSelector: 'app == "b"' });
  t.same(rule.srcIpSetIds, [id('(has(app)) && (!(app == "b"))')]);
  t.same(rule.notSrcIpSetIds, []);
  ({ rule } = resolveSource({ tag: 'web', notSelector: 'app == "b"', notTag: 'db' }));
  t.same(rule.srcIpSetIds, [id('((has(web)) && (!(app == "b"))) && (!has(db))')]);
  t.same(rule.notSrcIpSetIds, []);
  t.end();
});

t.test('without a positive match each negative is its own negated set', (t) => {
  let { rule, state } = resolveSource({ notSelector: 'app == "b"' });
  t.same(rule.srcIpSetIds, []);
  t.same(rule.notSrcIpSetIds, [id('app == "b"')]);
  t.same([...state.ipSets.keys()], [id('app == "b"')]);
  ({ rule } = resolveSource({ notSelector: 'app == "b"', notTag: 'db' }));
  t.same(rule.notSrcIpSetIds, [id('app == "b"'), id('has(db)')]);
  t.end();
});

t.test('nets, ports, protocol and icmp pass through; net and nets merge', (t) => {
  const { rule } = resolveSource(
    { net: '10.0.0.0/8', nets: ['10.1.0.0/16', '10.0.0.0/8'], notNet: '10.9.0.0/16', ports: [80, '8000:8080'], notPorts: [22] },
    { protocol: 'tcp', notProtocol: 17, icmp: { type: 8, code: 0 }, notICMP: { type: 3 }, ipVersion: 4 },
  );
  t.same(rule, {
    action: 'allow', ipVersion: 4, protocol: 'tcp', notProtocol: 17, icmpType: 8, icmpCode: 0, notIcmpType: 3,
    srcNets: ['10.0.0.0/8', '10.1.0.0/16'], dstNets: [], notSrcNets: ['10.9.0.0/16'], notDstNets: [],
    srcPorts: [80, '8000:8080'], dstPorts: [], notSrcPorts: [22], notDstPorts: [],
    srcIpSetIds: [], dstIpSetIds: [], notSrcIpSetIds: [], notDstIpSetIds: [],
  });
  t.end();
});

t.test('identical selectors share one set, refcounted by the rules that use them', (t) => {
  const g = new CalcGraph('n1');
  g.apply(wep('n1', 'a', { labels: { app: 'x' }, v4: ['198.18.0.1/32'] }));
  g.apply(policy('p1', { inbound: [{ action: 'allow', source: { selector: "app=='x'" } }] }));
  g.apply(policy('p2', { outbound: [{ action: 'allow', destination: { selector: 'app == "x"' } }], inbound: [{ action: 'deny', source: { selector: 'app == "x"' } }] }));
  let d = g.flush();
  const sid = id('app == "x"');
  t.same([...d.ipSetsCreated.keys()], [sid], 'one set for three uses');
  t.same([...d.ipSetsCreated.get(sid)!.v4], ['198.18.0.1/32']);
  g.apply(policyDeleted('p1'));
  d = g.flush();
  t.equal(d.ipSetsDeleted.size, 0, 'still used by p2');
  g.apply(policyDeleted('p2'));
  d = g.flush();
  t.same([...d.ipSetsDeleted], [sid]);
  t.equal(g.snapshot().ipSets.size, 0);
  t.end();
});

t.test('members: matching endpoints on every node, host endpoints, shared addresses', (t) => {
  const updates: DatastoreUpdate[] = [
    ...fullProfile('web'),
    wep('n1', 'local', { profiles: ['web'], v4: ['198.18.0.1/32'], v6: ['fd00::1/128'] }),
    wep('n2', 'remote', { profiles: ['web'], v4: ['198.18.0.2/32'] }),
    wep('n2', 'twin', { labels: { web: '' }, v4: ['198.18.0.2/32'] }),
    wep('n3', 'other', { v4: ['198.18.0.3/32'] }),
    hep('n3', 'eth0', { profiles: ['web'], v4: ['198.18.1.1'] }),
  ];
  const g = new CalcGraph('n1');
  for (const u of updates) g.apply(u);
  const web = g.snapshot().ipSets.get(id('has(web)'))!;
  t.same([...web.v4].sort(), ['198.18.0.1/32', '198.18.0.2/32', '198.18.1.1/32']);
  t.same([...web.v6], ['fd00::1/128']);
  t.same(plain(g.snapshot()), plain(computeDesiredState('n1', updates)));
  g.flush();

  g.apply(wepDeleted('n2', 'remote'));
  let d = g.flush();
  t.equal(d.ipSetMembers.size, 0, 'the twin still holds 198.18.0.2');
  g.apply(wepDeleted('n2', 'twin'));
  d = g.flush();
  t.same(d.ipSetMembers.get(id('has(web)')), { addedV4: [], removedV4: ['198.18.0.2/32'], addedV6: [], removedV6: [] });
  t.end();
});

t.test('a remote label change is only a member change', (t) => {
  const g = new CalcGraph('n1');
  for (const u of fullProfile('web')) g.apply(u);
  g.apply(wep('n1', 'a', { profiles: ['web'], v4: ['198.18.0.1/32'] }));
  g.apply(policy('p', { inbound: [{ action: 'allow', source: { selector: 'role == "db"' } }] }));
  g.apply(wep('n2', 'b', { labels: { role: 'web' }, v4: ['198.18.0.2/32'] }));
  g.flush();
  g.apply(wep('n2', 'b', { labels: { role: 'db' }, v4: ['198.18.0.2/32'] }));
  const d = g.flush();
  t.same([...d.ipSetMembers], [[id('role == "db"'), { addedV4: ['198.18.0.2/32'], removedV4: [], addedV6: [], removedV6: [] }]]);
  t.same([d.endpointsChanged.size, d.policiesChanged.size, d.profilesChanged.size, d.ipSetsCreated.size, d.ipSetsDeleted.size], [0, 0, 0, 0, 0]);

  g.apply(wep('n2', 'b', { labels: { role: 'db' }, v4: ['198.18.0.9/32'] }));
  t.same(g.flush().ipSetMembers.get(id('role == "db"')), { addedV4: ['198.18.0.9/32'], removedV4: ['198.18.0.2/32'], addedV6: [], removedV6: [] }, 'an address change too');
  t.end();
});

t.test('a set removed and re-added between flushes reports only the member difference', (t) => {
  const g = new CalcGraph('n1');
  g.apply(wep('n1', 'a', { labels: { app: 'x' }, v4: ['198.18.0.1/32'] }));
  g.apply(wep('n2', 'b', { labels: { app: 'x' }, v4: ['198.18.0.2/32'] }));
  const p = policy('p', { inbound: [{ action: 'allow', source: { selector: 'app == "x"' } }] });
  g.apply(p);
  g.flush();
  g.apply(policyDeleted('p'));
  g.snapshot(); // settles: the set goes
  g.apply(wepDeleted('n2', 'b'));
  g.apply(p);
  const d = g.flush();
  t.equal(d.ipSetsCreated.size + d.ipSetsDeleted.size, 0);
  t.same(d.ipSetMembers.get(id('app == "x"')), { addedV4: [], removedV4: ['198.18.0.2/32'], addedV6: [], removedV6: [] });
  t.end();
});

t.test('rules of profiles in use resolve too; profiles not in use do not', (t) => {
  const g = new CalcGraph('n1');
  for (const u of fullProfile('used')) g.apply(u);
  for (const u of fullProfile('unused', { inbound: [{ action: 'allow', source: { selector: 'unused == "1"' } }] })) g.apply(u);
  g.apply(wep('n1', 'a', { profiles: ['used'] }));
  t.same([...g.snapshot().ipSets.keys()], [id('has(used)')]);
  t.same(g.snapshot().profiles.get('used')!.inbound[0]!.srcIpSetIds, [id('has(used)')]);
  t.end();
});
