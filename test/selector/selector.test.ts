// The Selector object: uniqueId computed independently with node:crypto, caching by text,
// and label lookups that see own properties only.
import { createHash } from 'node:crypto';
import t from 'tap';
import { isValidLabelKey, parseSelector, selectorUniqueId } from '../../src/selector/index.js';

const independentUid = (canonical: string): string =>
  's:' + createHash('sha224').update(`s:${canonical}`).digest('base64').replace(/=+$/, '').replace(/\+/g, '-').replace(/\//g, '_');

t.test('uniqueId is "s:" + unpadded base64url(sha224("s:" + canonical))', async (t) => {
  for (const text of ['', 'a == "b"', "role == 'db' && !has(x) || k in {'z', 'y'}", 'a == "héllo\u{1F600}"', 'a == \'it"s\'']) {
    const sel = parseSelector(text);
    t.equal(sel.uniqueId(), independentUid(sel.toString()), text);
    t.equal(sel.uniqueId(), selectorUniqueId(sel.toString()));
    t.match(sel.uniqueId(), /^s:[A-Za-z0-9_-]{38}$/, '224 bits = 38 base64 characters, no padding');
  }
  t.equal(parseSelector('').uniqueId(), 's:5y5I3VdRZfDU01O--xXAPx2yxCQQqMf0M6IWug', "Calico's uid of all()");
});

t.test('equal canonical forms share a uid', async (t) => {
  const a = parseSelector(`a in {'y','x','x'} && has(b)`);
  const b = parseSelector('(a in {"x", "y"}) && has( b )');
  t.equal(a.toString(), b.toString());
  t.equal(a.uniqueId(), b.uniqueId());
  t.not(parseSelector('a == "x"').uniqueId(), parseSelector('a == "y"').uniqueId());
});

t.test('parsing the same text again returns the cached selector', async (t) => {
  const text = 'cache-test == "1" && has(cache-test-2)';
  t.equal(parseSelector(text), parseSelector(text));
  // Many other texts later it still parses correctly (the cache is bounded, not unbounded).
  for (let i = 0; i < 12_000; i++) parseSelector(`k${i} == "v"`);
  const again = parseSelector(text);
  t.equal(again.toString(), '(cache-test == "1" && has(cache-test-2))');
  t.equal(again.matches({ 'cache-test': '1', 'cache-test-2': '' }), true);
});

t.test('labels: own properties only; any key spelling is a plain key', async (t) => {
  t.equal(parseSelector('has(toString)').matches({}), false, 'inherited Object.prototype members are not labels');
  t.equal(parseSelector('constructor != "x"').matches({}), true);
  t.equal(parseSelector('has(__proto__)').matches({}), false);
  const own = JSON.parse('{"__proto__": "p", "constructor": "c"}') as Record<string, string>;
  t.equal(parseSelector('__proto__ == "p" && constructor == "c"').matches(own), true);
  const nullProto = Object.create(null) as Record<string, string>;
  nullProto.a = 'b';
  t.equal(parseSelector('a == "b"').matches(nullProto), true);
  t.equal(parseSelector('has(b)').matches(nullProto), false);
  const inherited = Object.create({ a: 'b' }) as Record<string, string>;
  t.equal(parseSelector('has(a)').matches(inherited), false, 'inherited string properties are not labels');
  t.equal(parseSelector('a not in {"b"}').matches(inherited), true);
  t.equal(parseSelector('has(a)').matches({ a: '' }), true, 'an empty value is present');
});

t.test('string operators compare exactly (case-sensitive, no trimming)', async (t) => {
  t.equal(parseSelector('a contains "b"').matches({ a: 'ABC' }), false);
  t.equal(parseSelector('a == " x"').matches({ a: 'x' }), false);
  t.equal(parseSelector('a == " x"').matches({ a: ' x' }), true);
  t.equal(parseSelector('a starts with ""').matches({ a: '' }), true);
  t.equal(parseSelector('a ends with ""').matches({}), false);
  t.equal(parseSelector('a in {"é"}').matches({ a: 'é' }), true);
});

t.test('isValidLabelKey follows the selector label rules', async (t) => {
  for (const k of ['a', 'projectcalico.org/name', 'k8s-app', 'A_b.c/d-e', '1abc', 'x'.repeat(512)]) t.ok(isValidLabelKey(k), k);
  for (const k of ['', 'a b', 'a=b', 'é', 'x'.repeat(513), 'a\n']) t.notOk(isValidLabelKey(k), JSON.stringify(k.slice(0, 20)));
});
