// Calico's own parser and tokenizer test tables (libcalico-go/lib/selector/parser/parser_test.go,
// tokenizer/tokenizer_test.go), restated as data: matches, rejections, canonical forms.
import t from 'tap';
import { parseSelector, SelectorParseError } from '../../src/selector/index.js';

type L = Record<string, string>;
const selectorTests: Array<[selector: string, matches: L[], nonMatches: L[]]> = [
  ['a == "b"', [{ a: 'b' }, { a: 'b', c: 'd' }], [{}, { a: 'c' }, { c: 'd' }]],
  ['a == "b" && c == "d"', [{ a: 'b', c: 'd' }], [{}, { a: 'b', c: 'e' }, { a: 'c', c: 'd' }, { c: 'd' }, { a: 'b' }]],
  ['a == "b" || c == "d"', [{ a: 'b', c: 'd' }, { a: 'b' }, { c: 'd' }], [{}, { a: 'e', c: 'e' }, { c: 'e' }, { a: 'e' }]],
  [`a in {"'", '"', "c"}`, [{ a: 'c' }, { a: '"' }, { a: "'" }], [{}, { a: 'e' }]],
  [`a not in {"'", '"', "c"}`, [{}, { a: 'e' }], [{ a: 'c' }, { a: '"' }, { a: "'" }]],
  ["a == 'a'", [{ a: 'a' }], [{ a: 'b' }, {}]],
  ['a == "a"', [{ a: 'a' }], []],
  ['a != "b"', [{ a: 'a' }], []],
  ['a != "a"', [{}], [{ a: 'a' }]],
  ["a != 'a'", [], [{ a: 'a' }]],
  ['a contains "a"', [{ a: 'a' }, { a: 'bab' }, { a: 'aaa', b: 'c' }], [{}, { a: 'b' }, { b: 'aaa' }]],
  ['a starts with "a"', [{ a: 'a' }, { a: 'abb' }, { a: 'aaa', b: 'c' }], [{}, { a: 'b' }, { a: 'baa' }, { b: 'aaa' }]],
  ['a ends with "a"', [{ a: 'a' }, { a: 'bba' }, { a: 'aaa', b: 'c' }], [{}, { a: 'b' }, { a: 'aab' }, { b: 'aaa' }]],
  ['a in {"a"}', [{ a: 'a' }], [{ a: 'b' }]],
  ['!a in {"a"}', [{ a: 'b' }], []],
  ['a in {"a", "b"}', [{ a: 'a' }, { a: 'b' }], [{ a: 'c' }]],
  ['a not in {"d", "e"}', [{ a: 'a' }], []],
  ['a not in {"a"}', [], [{ a: 'a' }]],
  ['has(a)', [{ a: 'b' }], []],
  ['!has(a)', [{ b: 'b' }], [{ a: 'b' }]],
  ['', [{}, { a: 'b' }], []],
  [' ', [{}], []],
  ['all()', [{}], []],
  [' all()', [{}, { a: 'b' }], []],
  ['global()', [{}], []],
  [' global()', [{}, { a: 'b' }], []],
  ['has(b)', [], [{ a: 'b' }]],
  ['!!has(b)', [], [{ a: 'b' }]],
  ['! has(a)', [], [{ a: 'b' }]],
  ['!!! has(a)', [], [{ a: 'b' }]],
  ['!!!has(a)', [], [{ a: 'b' }]],
  ['!! ! has(a)', [], [{ a: 'b' }]],
  ['! !!has(a)', [], [{ a: 'b' }]],
  ["a == 'a1' && b == 'b1'", [{ a: 'a1', b: 'b1' }], []],
  ["a == 'a1' && b != 'b1'", [], [{ a: 'a1', b: 'b1' }]],
  ["a != 'a1' && b == 'b1'", [], [{ a: 'a1', b: 'b1' }]],
  ["a != 'a1' && b != 'b1'", [], [{ a: 'a1', b: 'b1' }]],
  ["a != 'a1' && !b == 'b1'", [], [{ a: 'a1', b: 'b1' }]],
  ["!a == 'a1' && b == 'b1'", [], [{ a: 'a1', b: 'b1' }]],
  ['has(a) && !has(b)', [{ a: 'a' }], []],
  ['!has(b) && has(a)', [{ a: 'a' }], []],
  ['!(!has(a) || has(b))', [{ a: 'a' }], []],
  ['!(has(b) || !has(a))', [{ a: 'a' }], []],
  ["a == 'a1' || b == 'b1'", [{ a: 'a1', b: 'b1' }], []],
  ["a == 'a1' || b != 'b1'", [{ a: 'a1', b: 'b1' }], []],
  ["a != 'a1' || b == 'b1'", [{ a: 'a1', b: 'b1' }], []],
  ["a != 'a1' || b != 'b1'", [], [{ a: 'a1', b: 'b1' }]],
  ["! a == 'a1' || ! b == 'b1'", [], [{ a: 'a1', b: 'b1' }]],
];

t.test('selector tables, before and after canonicalising', async (t) => {
  for (const [text, yes, no] of selectorTests) {
    const sel = parseSelector(text);
    const canon = parseSelector(sel.toString());
    for (const labels of yes) {
      t.equal(sel.matches(labels), true, `${text} matches ${JSON.stringify(labels)}`);
      t.equal(canon.matches(labels), true, `${sel.toString()} matches ${JSON.stringify(labels)}`);
    }
    for (const labels of no) {
      t.equal(sel.matches(labels), false, `${text} does not match ${JSON.stringify(labels)}`);
      t.equal(canon.matches(labels), false, `${sel.toString()} does not match ${JSON.stringify(labels)}`);
    }
    t.equal(sel.uniqueId(), sel.uniqueId(), `${text}: same uid on each call`);
  }
});

const badSelectors = [
  'b == b',
  'b contains b',
  'b starts with b',
  'b ends with b',
  "'b1' == b",
  'b',
  'a b',
  '!',
  'foo == "bar" &',
  'foo == "bar" |',
  'foo != ||',
  'foo in {"", ||',
  'foo in ""',
  '"FOO',
  `"FOO'`,
  "'FOO",
  '(',
  '(a == "foo"',
  ')',
  '()',
  '%',
  'a == "b" && %',
  'a == "b" || %',
  'a ',
  'has(foo) &&',
  // Tokenizer rejections.
  'label starts foo "value"',
  'label ends foo "value"',
  'label squiggles "value"',
  'a not in "bar" && !has(foo) || b in c',
  'a == "b" | has(foo)',
  // Word boundaries after operator words, and other edges.
  'a containsx "b"',
  'a inx {"b"}',
  'a in',
  'a in {',
  'a in {,}',
  'a in {"x",,}',
  'has()',
  'has(a',
  'all(x)',
  'global(x)',
  'a == "b"\n',
  '\thas(a)\n',
  'a = "b"',
  'a == "b" && ',
  '&& has(a)',
  '!!',
  'a == "b" has(c)',
  `has(${'k'.repeat(513)})`,
  `${'k'.repeat(513)} == "v"`,
  'a é "b"',
  'é == "b"',
];

t.test('bad selectors are rejected with SelectorParseError', async (t) => {
  for (const text of badSelectors) {
    t.throws(() => parseSelector(text), SelectorParseError, JSON.stringify(text.length > 60 ? text.slice(0, 60) : text));
  }
});

const canonical: Array<[input: string, canonical: string, uid?: string]> = [
  ['', 'all()', 's:5y5I3VdRZfDU01O--xXAPx2yxCQQqMf0M6IWug'],
  [' all() ', 'all()', 's:5y5I3VdRZfDU01O--xXAPx2yxCQQqMf0M6IWug'],
  [' (all() )', 'all()', 's:5y5I3VdRZfDU01O--xXAPx2yxCQQqMf0M6IWug'],
  ['! (has( b)||! has(a ))', '!(has(b) || !has(a))', 's:Iss0uCleLYv1GSv_pNm7hAO58kE9jAx1NKyG3Q'],
  ['! (a == "b"&&! c != "d")', '!(a == "b" && !c != "d")', 's:lh3haoY1ikTRkd4UZu0nWSaIBknYLPJLX16d-w'],
  [`a == "'"`, `a == "'"`],
  [`a == '"'`, `a == '"'`],
  [`a contains '"'`, `a contains '"'`],
  [`a contains "'"`, `a contains "'"`],
  [`a startswith '"'`, `a starts with '"'`],
  [`a endswith "'"`, `a ends with "'"`],
  [`a!='"'`, `a != '"'`],
  ['a in {"d"}', 'a in {"d"}'],
  ['a in {"a", "b"}', 'a in {"a", "b"}'],
  ['a in {"d", "a", "b"}', 'a in {"a", "b", "d"}'],
  ['a in {"z", "x", "y", "a"}', 'a in {"a", "x", "y", "z"}'],
  ['a in {"z", "z", "x", "y", "x", "a"}', 'a in {"a", "x", "y", "z"}'],
  // Visitor table inputs (without the prefix the visitor adds).
  ["k starts with 'v'", 'k starts with "v"'],
  ["k ends with 'v'", 'k ends with "v"'],
  ["k == 'v' && x == 'y'", '(k == "v" && x == "y")'],
  ["k == 'v' || has(x)", '(k == "v" || has(x))'],
  ["!(k == 'v')", '!k == "v"'],
  ["k not in {'v'}", 'k not in {"v"}'],
  ["!(!(k == 'v' && has(t) || all()) && (a in {'b', 'c'}))", '!(!((k == "v" && has(t)) || all()) && a in {"b", "c"})'],
  // Tokenizer table inputs.
  ['a==\"b\"', 'a == "b"'],
  ['label contains"value"', 'label contains "value"'],
  ['label startswith "value"', 'label starts with "value"'],
  ['startswith starts with "value"', 'startswith starts with "value"'],
  ['label starts  with "value"', 'label starts with "value"'],
  ['has(calico/k8s_ns/role)', 'has(calico/k8s_ns/role)'],
  ['calico/k8s_ns == "kube-system" && k8s-app == "kube-dns"', '(calico/k8s_ns == "kube-system" && k8s-app == "kube-dns")'],
  ['a not in {}', 'a not in {}'],
  ['a in {}', 'a in {}'],
  ['a not in {"a","B"}', 'a not in {"B", "a"}'],
  ['a notin{"a"}&&!has( foo )||b in{"c"}', '((a not in {"a"} && !has(foo)) || b in {"c"})'],
  ['a  not  in  {"bar"}  &&  ! has( foo )  ||  b  in  {"c"} ', '((a not in {"bar"} && !has(foo)) || b in {"c"})'],
  // Precedence and grouping: && binds tighter than ||; every group is parenthesised.
  ['a == "1" || b == "1" && c == "1"', '(a == "1" || (b == "1" && c == "1"))'],
  ['(a == "1" || b == "1") && c == "1"', '((a == "1" || b == "1") && c == "1")'],
  ['has(a) && has(b) && has(c)', '(has(a) && has(b) && has(c))'],
  ['has(a) && (has(b) && has(c))', '(has(a) && (has(b) && has(c)))'],
  ['((has(a)))', 'has(a)'],
  ['!has(a) || !!has(b)', '(!has(a) || has(b))'],
  ['!(!has(a))', '!!has(a)'],
  // Sorting is by code point (Go byte order), not by locale.
  ['a in {"b", "a", "B", "_", "10", "9", ""}', 'a in {"", "10", "9", "B", "_", "a", "b"}'],
  ['a in {"\u{1F600}", "\uFFFD", "é"}', 'a in {"é", "\uFFFD", "\u{1F600}"}'],
  // Quotes: single only when the value holds a double quote.
  [`a in {'x"y', "p'q"}`, `a in {"p'q", 'x"y'}`],
  ['a == ""', 'a == ""'],
];

t.test('canonical forms and round trips', async (t) => {
  for (const [input, want, uid] of canonical) {
    const sel = parseSelector(input);
    t.equal(sel.toString(), want, `canonical of ${JSON.stringify(input)}`);
    if (uid !== undefined) t.equal(sel.uniqueId(), uid, `uid of ${JSON.stringify(input)}`);
    if (!want.startsWith('!!')) {
      const again = parseSelector(want);
      t.equal(again.toString(), want, `${want} round-trips`);
      t.equal(again.uniqueId(), sel.uniqueId(), `${want} keeps its uid`);
    }
  }
});
