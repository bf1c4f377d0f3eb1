// Label inheritance: own labels, then each profile in order, labels before tags within one.
import t from 'tap';
import { CalcGraph, effectiveLabels, mergeLabels, profileLabels } from '../../src/calc/index.js';
import type { ProfileLabelSource } from '../../src/calc/index.js';
import type { Labels } from '../../src/model/types.js';
import { fullProfile, policy, profileLabels as profileLabelsUpdate, profileTags, wep } from './builders.js';

const plainLabels = (l: Labels): Record<string, string> => ({ ...l });

t.test('own labels win over every profile', (t) => {
  const profiles = new Map<string, ProfileLabelSource>([['p', { labels: { app: 'from-profile', x: '1' }, tags: ['role'] }]]);
  const got = effectiveLabels({ app: 'own', role: 'own' }, ['p'], (n) => profiles.get(n));
  t.same(plainLabels(got), { app: 'own', role: 'own', x: '1' });
  t.end();
});

t.test('within one profile a label wins over a tag of the same name', (t) => {
  const profiles = new Map<string, ProfileLabelSource>([['p', { labels: { web: 'yes' }, tags: ['web', 'db'] }]]);
  t.same(plainLabels(profileLabels(['p'], (n) => profiles.get(n))), { web: 'yes', db: '' });
  t.end();
});

t.test('an earlier profile wins, whether it has the key as a label or as a tag', (t) => {
  const profiles = new Map<string, ProfileLabelSource>([
    ['first', { tags: ['web'] }],
    ['second', { labels: { web: 'second', app: 'second' } }],
    ['third', { labels: { app: 'third', tier: 'third' } }],
  ]);
  const lookup = (n: string) => profiles.get(n);
  t.same(plainLabels(profileLabels(['first', 'second', 'third'], lookup)), { web: '', app: 'second', tier: 'third' });
  t.same(plainLabels(profileLabels(['third', 'second', 'first'], lookup)), { app: 'third', tier: 'third', web: 'second' });
  t.end();
});

t.test('a missing profile contributes nothing and later ones still do', (t) => {
  const profiles = new Map<string, ProfileLabelSource>([['later', { labels: { app: 'later' } }]]);
  t.same(plainLabels(effectiveLabels({}, ['missing', 'later'], (n) => profiles.get(n))), { app: 'later' });
  t.end();
});

t.test('label objects are shared when one side adds nothing; odd keys stay own properties', (t) => {
  const own = { app: 'a' };
  const inherited = profileLabels(['p'], () => ({ tags: ['__proto__', 'constructor'] }));
  t.equal(mergeLabels(own, profileLabels([], () => undefined)), own, 'no profiles: the own object itself');
  t.equal(mergeLabels({}, inherited), inherited, 'no own labels: the inherited object itself');
  const merged = mergeLabels(own, inherited);
  t.same(Object.keys(merged).sort(), ['__proto__', 'app', 'constructor']);
  t.equal(Object.getPrototypeOf(merged), null, 'no prototype to pollute');
  t.equal(Object.prototype.hasOwnProperty.call(merged, '__proto__'), true);
  t.end();
});

t.test('the graph follows inherited labels as profiles and endpoints change', (t) => {
  const g = new CalcGraph('n1');
  g.apply(policy('tagged', { selector: 'web == ""', order: 1 }));
  g.apply(policy('labelled', { selector: 'web == "yes"', order: 2 }));
  for (const u of fullProfile('p1', { tags: ['web'] })) g.apply(u);
  for (const u of fullProfile('p2', { tags: [], labels: { web: 'yes' } })) g.apply(u);
  g.apply(wep('n1', 'a', { profiles: ['p1', 'p2'] }));
  const ingress = () => g.snapshot().endpoints.get('calia')!.ingressPolicies;
  t.same(ingress(), ['tagged'], 'first profile (tag) wins');

  g.apply(wep('n1', 'a', { profiles: ['p2', 'p1'] }));
  t.same(ingress(), ['labelled'], 'profile order reversed: the label wins');

  g.apply(profileLabelsUpdate('p2', {}));
  t.same(ingress(), ['tagged'], 'label removed from the first profile: the tag of the second shows');

  g.apply(profileTags('p1', []));
  t.same(ingress(), [], 'tag removed too: nothing selects it');

  g.apply(profileLabelsUpdate('p1', { web: 'yes' }));
  t.same(ingress(), ['labelled']);

  g.apply(wep('n1', 'a', { profiles: ['p2', 'p1'], labels: { web: '' } }));
  t.same(ingress(), ['tagged'], 'own label wins over both profiles');
  t.end();
});
