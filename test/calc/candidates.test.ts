// The index does its job at benchmark scale M (10,000 endpoints, 1,000 policies, 2,000 distinct
// rule selectors): one change evaluates only the candidate selectors, one new selector scans only
// the candidate endpoints, and the delta is proportional to the change. Selector evaluations are
// counted through an instrumented parser (a count, not a timing, so the test is stable on a busy
// machine).
import t from 'tap';
import { CalcGraph, isEmptyDelta, type DesiredStateDelta } from '../../src/calc/index.js';
import type { Selector } from '../../src/selector/types.js';
import { parseSelector } from '../../src/selector/index.js';
import type { DatastoreUpdate } from '../../src/model/types.js';
import { policy, wep } from './builders.js';

const ENDPOINTS = 10_000;
const NODES = 20; // node-0 is local: 500 local endpoints
const APPS = 500;
const SERVICES = 2_000;
const TIERS = ['frontend', 'backend', 'db', 'cache', 'batch'];

let evaluations = 0;
function countingParser(text: string): Selector {
  const s = parseSelector(text);
  return {
    matches: (labels) => {
      evaluations++;
      return s.matches(labels);
    },
    toString: () => s.toString(),
    uniqueId: () => s.uniqueId(),
    labelRestrictions: () => s.labelRestrictions(),
  };
}

// Each app has 20 endpoints, one of them local (i = 20 * app); each service has 5.
const endpointLabels = (i: number, app = `app-${Math.floor(i / NODES) % APPS}`, svc = `svc-${i % SERVICES}`) => ({
  app, svc, tier: TIERS[i % TIERS.length]!, env: i % 3 === 0 ? 'prod' : 'dev',
});
const endpoint = (i: number, labels = endpointLabels(i)): DatastoreUpdate =>
  wep(`node-${i % NODES}`, `ep-${i}`, {
    iface: `cali${i}`, labels, v4: [`10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}/32`], profiles: ['default'],
  });

/** Delta sizes, to say what a change touched. */
function shape(d: DesiredStateDelta) {
  return {
    endpointsChanged: [...d.endpointsChanged.keys()], endpointsRemoved: d.endpointsRemoved.size,
    policiesChanged: d.policiesChanged.size, policiesRemoved: d.policiesRemoved.size,
    profilesChanged: d.profilesChanged.size, profilesRemoved: d.profilesRemoved.size,
    ipSetsCreated: d.ipSetsCreated.size, ipSetsDeleted: d.ipSetsDeleted.size, ipSetMembers: d.ipSetMembers.size,
  };
}

t.test('at 10,000 endpoints and 2,000 selectors one change touches only its candidates', (t) => {
  const g = new CalcGraph('node-0', { parseSelector: countingParser });
  for (let i = 0; i < ENDPOINTS; i++) g.apply(endpoint(i));
  // 1,000 policies, each selecting the endpoints of one app, each rule naming one service:
  // 2,000 distinct selectors become IP sets; one all() policy with a tier rule besides.
  for (let j = 0; j < 1_000; j++) {
    g.apply(policy(`pol-${j}`, {
      order: j,
      selector: `app == "app-${j % APPS}"`,
      inbound: [
        { action: 'allow', source: { selector: `svc == "svc-${2 * j}"` } },
        { action: 'allow', source: { selector: `svc == "svc-${2 * j + 1}"` } },
      ],
    }));
  }
  g.apply(policy('default', { selector: 'all()', inbound: [{ action: 'allow', source: { selector: 'tier == "frontend"' } }] }));
  g.flush();
  const stats = g.stats();
  t.equal(stats.localEndpoints, 500);
  t.equal(stats.ipSets, SERVICES + 1, '2,001 IP sets');
  t.equal(stats.ipSetMembers, ENDPOINTS + ENDPOINTS / TIERS.length, 'every endpoint in its service set, a fifth in the tier set');

  // A remote endpoint moves from one service to another: two candidate sets (those filed under
  // its old and new service), plus the few filed under its other labels; never the 2,000.
  evaluations = 0;
  g.apply(endpoint(7, endpointLabels(7, undefined, 'svc-8')));
  const remote = evaluations;
  let d = g.flush();
  t.ok(remote >= 2 && remote <= 6, `remote label change: ${remote} selector evaluations`);
  t.same(shape(d), { ...shape(emptyDelta()), ipSetMembers: 2 }, 'only member changes in two sets, no chain change');
  t.same(d.ipSetMembers.get(parseSelector('svc == "svc-7"').uniqueId()), { addedV4: [], removedV4: ['10.0.0.7/32'], addedV6: [], removedV6: [] });
  t.same(d.ipSetMembers.get(parseSelector('svc == "svc-8"').uniqueId()), { addedV4: ['10.0.0.7/32'], addedV6: [], removedV4: [], removedV6: [] });

  // A local endpoint changes app: the policies filed under the old and new app value and the
  // all() policy are evaluated, not the 1,000. Its record changes, and the two policies of its
  // old app, which no other local endpoint uses, go with their four IP sets.
  evaluations = 0;
  const local = 40; // node-0, app-2
  g.apply(endpoint(local, endpointLabels(local, 'app-3')));
  const localEvals = evaluations;
  d = g.flush();
  t.ok(localEvals <= 12, `local label change: ${localEvals} selector evaluations`);
  t.same(shape(d), { ...shape(emptyDelta()), endpointsChanged: [`cali${local}`], policiesRemoved: 2, ipSetsDeleted: 4 },
    'its record, and the policies and sets only it used');
  t.same([...d.policiesRemoved].sort(), ['pol-2', 'pol-502']);
  t.same(d.endpointsChanged.get(`cali${local}`)!.ingressPolicies, ['pol-3', 'pol-503', 'default']);

  // A new rule selector scans only the endpoints under its narrowest restriction.
  evaluations = 0;
  g.apply(policy('pol-new', { selector: 'app == "app-60"', inbound: [{ action: 'deny', source: { selector: 'app == "app-7" && tier == "cache"' } }] }));
  d = g.flush();
  t.ok(evaluations <= ENDPOINTS / APPS + 5, `new policy: ${evaluations} selector evaluations (of ${ENDPOINTS} endpoints)`);
  t.equal(d.ipSetsCreated.size, 1);
  t.equal(d.policiesChanged.size, 1);

  // Re-sending an unchanged endpoint evaluates nothing and changes nothing.
  evaluations = 0;
  g.apply(endpoint(123));
  t.equal(evaluations, 0, 'an unchanged endpoint is not re-evaluated');
  t.ok(isEmptyDelta(g.flush()));
  t.end();
});

function emptyDelta(): DesiredStateDelta {
  return {
    endpointsChanged: new Map(), endpointsRemoved: new Set(), policiesChanged: new Map(), policiesRemoved: new Set(),
    profilesChanged: new Map(), profilesRemoved: new Set(), ipSetsCreated: new Map(), ipSetsDeleted: new Set(), ipSetMembers: new Map(),
  };
}
