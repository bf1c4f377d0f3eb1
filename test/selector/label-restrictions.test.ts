// labelRestrictions(): Calico's table (label_restriction_test.go, minus MustBeAbsent, which the
// Selector contract does not carry), and soundness on random selectors: whatever matches
// satisfies every restriction.
import t from 'tap';
import { parseSelector } from '../../src/selector/index.js';
import type { LabelRestriction } from '../../src/selector/index.js';

type Want = Record<string, { values?: string[] }>;

const table: Array<[selector: string, want: Want]> = [
  ['', {}],
  ['all()', {}],
  ['global()', {}],
  ["a == 'value'", { a: { values: ['value'] } }],
  ['has(a)', { a: {} }],
  ["a in {'v1','v2'}", { a: { values: ['v1', 'v2'] } }],
  ["a not in {'v1','v2'}", {}],
  ["a contains 'foo'", { a: {} }],
  ["a ends with 'foo'", { a: {} }],
  ["a starts with 'foo'", { a: {} }],
  ["a != 'value'", {}],
  ["a == 'v1' && a == 'v1'", { a: { values: ['v1'] } }],
  ["a == 'v1' && a == 'v2'", { a: { values: [] } }],
  ["a == 'v1' && has(a)", { a: { values: ['v1'] } }],
  ["a in {'v1','v2'} && a in {'v2','v3'} ", { a: { values: ['v2'] } }],
  ["a in {'v1','v2', 'v3'} && a in {'v2','v3'} ", { a: { values: ['v2', 'v3'] } }],
  ["has(a) && a == 'v1'", { a: { values: ['v1'] } }],
  ['has(a) && !has(a)', { a: {} }],
  ["a == 'v1' && b == 'v2'", { a: { values: ['v1'] }, b: { values: ['v2'] } }],
  ["a == 'v1' && all()", { a: { values: ['v1'] } }],
  ["all() && a == 'v1'", { a: { values: ['v1'] } }],
  ["a == 'v1' || a == 'v2'", { a: { values: ['v1', 'v2'] } }],
  ["has(a) || a == 'v2'", { a: {} }],
  ["a=='v2' || has(a)", { a: {} }],
  ["a=='v2' || has(b)", {}],
  ["a=='v2' || (has(b) && has(a))", { a: {} }],
  ["a == 'v1' || b == 'v2'", {}],
  ["a == 'v1' || all()", {}],
  ["all() || b == 'v2'", {}],
  ["!(a == 'value')", {}],
  ['!has(a)', {}],
  ['!!has(a)', { a: {} }],
  ['!(!has(a))', {}],
  ['a in {}', { a: { values: [] } }],
];

function plain(rs: ReadonlyMap<string, LabelRestriction>): Want {
  const out: Want = {};
  for (const [k, r] of rs) {
    if (!r.mustBePresent) throw new Error(`restriction on ${k} without mustBePresent`);
    out[k] = r.mustHaveOneOfValues === undefined ? {} : { values: [...r.mustHaveOneOfValues].sort() };
  }
  return out;
}

t.test("Calico's table, alone and under all() &&", async (t) => {
  for (const [text, want] of table) {
    t.same(plain(parseSelector(text).labelRestrictions()), want, text);
    t.same(plain(parseSelector(text).labelRestrictions()), want, `${text} (second call)`);
    if (text !== '') t.same(plain(parseSelector(`all() && (${text})`).labelRestrictions()), want, `all() && (${text})`);
  }
});

t.test('callers get their own copy', async (t) => {
  const sel = parseSelector("a in {'x', 'y'}");
  const first = sel.labelRestrictions();
  (first.get('a')!.mustHaveOneOfValues as Set<string>).clear();
  (first as Map<string, LabelRestriction>).delete('a');
  t.same(plain(sel.labelRestrictions()), { a: { values: ['x', 'y'] } });
});

// ---------------------------------------------------------------- random soundness

/** Small deterministic PRNG (mulberry32) so failures reproduce. */
function prng(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let x = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    x = (x + Math.imul(x ^ (x >>> 7), 61 | x)) ^ x;
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
  };
}

const KEYS = ['a', 'b', 'c'];
const VALUES = ['', 'x', 'y', 'xy'];

interface Gen {
  text: string;
  /** Reference evaluation, written independently of the implementation. */
  ev: (labels: Record<string, string>) => boolean;
}

function generator(rand: () => number) {
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!;
  const q = (v: string): string => (rand() < 0.5 ? `"${v}"` : `'${v}'`);
  const sp = (): string => pick(['', ' ', '  ', '\t']);
  const has = (l: Record<string, string>, k: string): boolean => Object.prototype.hasOwnProperty.call(l, k);

  function primitive(): Gen {
    const k = pick(KEYS);
    const v = pick(VALUES);
    switch (Math.floor(rand() * 10)) {
      case 0:
        return { text: `has(${sp()}${k}${sp()})`, ev: (l) => has(l, k) };
      case 1:
        return { text: `${k}${sp()}==${sp()}${q(v)}`, ev: (l) => has(l, k) && l[k] === v };
      case 2:
        return { text: `${k}${sp()}!=${sp()}${q(v)}`, ev: (l) => !has(l, k) || l[k] !== v };
      case 3: {
        const set = VALUES.filter(() => rand() < 0.4);
        return { text: `${k} in {${set.map(q).join(',' + sp())}}`, ev: (l) => has(l, k) && set.includes(l[k]!) };
      }
      case 4: {
        const set = VALUES.filter(() => rand() < 0.4);
        return { text: `${k} not in {${set.map(q).join(', ')}}`, ev: (l) => !has(l, k) || !set.includes(l[k]!) };
      }
      case 5:
        return { text: `${k} contains ${q(v)}`, ev: (l) => has(l, k) && l[k]!.includes(v) };
      case 6:
        return { text: `${k} starts with ${q(v)}`, ev: (l) => has(l, k) && l[k]!.startsWith(v) };
      case 7:
        return { text: `${k} endswith ${q(v)}`, ev: (l) => has(l, k) && l[k]!.endsWith(v) };
      case 8:
        return { text: 'all()', ev: () => true };
      default:
        return { text: 'global()', ev: () => true };
    }
  }
  function operation(depth: number): Gen {
    const nots = rand() < 0.7 ? 0 : Math.floor(rand() * 3) + 1;
    const inner = depth > 0 && rand() < 0.3 ? paren(depth - 1) : primitive();
    const odd = nots % 2 === 1;
    return { text: `${'!'.repeat(nots)}${sp()}${inner.text}`, ev: odd ? (l) => !inner.ev(l) : inner.ev };
  }
  function paren(depth: number): Gen {
    const inner = or(depth);
    return { text: `(${sp()}${inner.text}${sp()})`, ev: inner.ev };
  }
  function and(depth: number): Gen {
    const ops = Array.from({ length: 1 + Math.floor(rand() * 3) }, () => operation(depth));
    return { text: ops.map((o) => o.text).join(`${sp()}&&${sp()}`), ev: (l) => ops.every((o) => o.ev(l)) };
  }
  function or(depth: number): Gen {
    const ands = Array.from({ length: 1 + Math.floor(rand() * 3) }, () => and(depth));
    return { text: ands.map((a) => a.text).join(`${sp()}||${sp()}`), ev: (l) => ands.some((a) => a.ev(l)) };
  }
  function labels(): Record<string, string> {
    const l: Record<string, string> = {};
    for (const k of KEYS) if (rand() < 0.6) l[k] = pick(VALUES);
    return l;
  }
  return { selector: () => or(2), labels };
}

t.test('random selectors: reference evaluation, canonical round trip, sound restrictions', async (t) => {
  const rand = prng(20240611);
  const gen = generator(rand);
  let matched = 0;
  let failures = 0;
  for (let i = 0; i < 400 && failures < 5; i++) {
    const g = gen.selector();
    const sel = parseSelector(g.text);
    const canon = parseSelector(sel.toString());
    const restrictions = sel.labelRestrictions();
    for (let j = 0; j < 25; j++) {
      const l = gen.labels();
      const got = sel.matches(l);
      const problems: string[] = [];
      if (got !== g.ev(l)) problems.push(`matches ${got}, reference says ${!got}`);
      if (canon.matches(l) !== got) problems.push(`canonical ${sel.toString()} disagrees`);
      if (got) {
        matched++;
        for (const [k, r] of restrictions) {
          if (r.mustBePresent && !(k in l)) problems.push(`restriction says ${k} must be present`);
          if (r.mustHaveOneOfValues && !r.mustHaveOneOfValues.has(l[k]!)) problems.push(`restriction says ${k} in ${[...r.mustHaveOneOfValues]}`);
        }
      }
      if (problems.length > 0) {
        failures++;
        t.fail(`${g.text} on ${JSON.stringify(l)}: ${problems.join('; ')}`);
        break;
      }
    }
  }
  t.equal(failures, 0, 'no disagreement on 400 random selectors x 25 label sets');
  t.ok(matched > 1000, `enough matching cases exercised the restrictions (${matched})`);
});
