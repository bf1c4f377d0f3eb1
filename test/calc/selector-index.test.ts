// The selector index against brute force: random items and selectors, every operation checked.
import { isDeepStrictEqual } from 'node:util';
import t from 'tap';
import { SelectorIndex } from '../../src/calc/index.js';
import type { Labels } from '../../src/model/types.js';
import { parseSelector } from '../../src/selector/index.js';

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

const SELECTORS = [
  'all()', 'a == "1"', 'a == "2" && b == "1"', 'has(b)', '!has(a)', 'a in {"1", "3"}', 'a not in {"1"}',
  'a != "2"', 'a == "1" || b == "2"', 'has(a) && has(c)', 'c == "3" && a == "1" && b in {"1","2"}',
  'a == "1" && a == "2"', 'b starts with "1"', '!(a == "1")',
];

t.test('matches equal brute force through random changes', (t) => {
  const r = rng(42);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;
  const events = new Set<string>();
  const index = new SelectorIndex({
    onMatchStarted: (s, i) => {
      if (events.has(`${s} ${i}`)) t.fail(`duplicate start ${s} ${i}`);
      events.add(`${s} ${i}`);
    },
    onMatchStopped: (s, i) => {
      if (!events.delete(`${s} ${i}`)) t.fail(`stop without start ${s} ${i}`);
    },
  });
  const items = new Map<string, Labels>();
  const selectors = new Map<string, string>();
  let failures = 0;
  for (let step = 0; step < 3000 && failures === 0; step++) {
    const x = r();
    if (x < 0.5) {
      const labels: Record<string, string> = {};
      for (const k of ['a', 'b', 'c']) if (r() < 0.6) labels[k] = pick(['1', '2', '3', '']);
      const id = `i${Math.floor(r() * 60)}`;
      items.set(id, labels);
      index.updateItem(id, labels);
    } else if (x < 0.65) {
      const id = `i${Math.floor(r() * 60)}`;
      items.delete(id);
      index.removeItem(id);
    } else if (x < 0.9) {
      const id = `s${Math.floor(r() * 12)}`;
      const text = pick(SELECTORS);
      selectors.set(id, text);
      index.updateSelector(id, parseSelector(text));
    } else {
      const id = `s${Math.floor(r() * 12)}`;
      selectors.delete(id);
      index.removeSelector(id);
    }
    const want = new Set<string>();
    for (const [sid, text] of selectors) {
      const sel = parseSelector(text);
      for (const [iid, labels] of items) if (sel.matches(labels)) want.add(`${sid} ${iid}`);
    }
    const got = new Set<string>();
    for (const sid of selectors.keys()) for (const iid of index.matchesOf(sid) ?? []) got.add(`${sid} ${iid}`);
    const viaItems = new Set<string>();
    for (const iid of items.keys()) index.forEachSelectorMatching(iid, (sid) => viaItems.add(`${sid} ${iid}`));
    const sorted = (s: Set<string>) => [...s].sort();
    for (const [what, s] of [['matchesOf', got], ['forEachSelectorMatching', viaItems], ['match events', events]] as const) {
      if (!isDeepStrictEqual(sorted(s), sorted(want))) {
        t.same(sorted(s), sorted(want), `step ${step}: ${what} equals brute force`);
        failures++;
      }
    }
  }
  if (failures === 0) t.pass('3,000 random changes: index, reverse lookups and events all equal brute force');
  t.end();
});
