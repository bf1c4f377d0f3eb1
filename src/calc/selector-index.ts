// Which selectors match which labelled items, kept up to date in both directions.
//
// Items are indexed by label key and value; each selector is filed under the one label
// restriction it implies that currently has the fewest items (`a == "x"` under a=x,
// `has(a)` under a, `a in {"x","y"}` under a=x and a=y). Then:
//  - an item change re-evaluates only the selectors filed under its old or new labels, plus
//    those with no restriction at all;
//  - a new selector scans only the items under its restriction (all items only when it has none).
// Both are exact because every item a selector matches satisfies every restriction it implies.
import type { Labels } from '../model/types.js';
import type { Selector } from '../selector/types.js';
import { labelsEqual } from './labels.js';

export interface MatchListener {
  onMatchStarted(selectorId: string, itemId: string): void;
  onMatchStopped(selectorId: string, itemId: string): void;
}

type Filing =
  | { kind: 'all' } // no restriction: a candidate for every item
  | { kind: 'none' } // contradictory restrictions: matches nothing
  | { kind: 'key'; key: string }
  | { kind: 'values'; key: string; values: string[] };

interface SelectorEntry {
  selector: Selector;
  canonical: string;
  filing: Filing;
  matches: Set<string>;
}

const hasOwn = (o: object, k: string): boolean => Object.prototype.hasOwnProperty.call(o, k);

function getOrCreate<K, V>(m: Map<K, V>, k: K, make: () => V): V {
  let v = m.get(k);
  if (v === undefined) {
    v = make();
    m.set(k, v);
  }
  return v;
}

export class SelectorIndex {
  private readonly items = new Map<string, Labels>();
  /** label key -> value -> item ids */
  private readonly itemsByLabel = new Map<string, Map<string, Set<string>>>();
  private readonly itemCountByKey = new Map<string, number>();

  private readonly selectors = new Map<string, SelectorEntry>();
  private readonly selectorsByKey = new Map<string, Set<string>>();
  /** label key -> value -> selector ids */
  private readonly selectorsByLabel = new Map<string, Map<string, Set<string>>>();
  private readonly unrestricted = new Set<string>();

  constructor(private readonly listener: MatchListener) {}

  // ------------------------------------------------------------------ items

  hasItem(id: string): boolean {
    return this.items.has(id);
  }

  updateItem(id: string, labels: Labels): void {
    const old = this.items.get(id);
    if (old === labels) return;
    this.items.set(id, labels);
    if (old !== undefined) {
      if (labelsEqual(old, labels)) return;
      this.unindexItem(id, old);
    }
    this.indexItem(id, labels);
    const candidates = new Set<string>();
    if (old !== undefined) this.forEachCandidate(old, (s) => candidates.add(s));
    this.forEachCandidate(labels, (s) => candidates.add(s));
    for (const selId of candidates) {
      const entry = this.selectors.get(selId)!;
      const was = entry.matches.has(id);
      const now = entry.selector.matches(labels);
      if (was === now) continue;
      if (now) {
        entry.matches.add(id);
        this.listener.onMatchStarted(selId, id);
      } else {
        entry.matches.delete(id);
        this.listener.onMatchStopped(selId, id);
      }
    }
  }

  removeItem(id: string): void {
    const old = this.items.get(id);
    if (old === undefined) return;
    this.forEachCandidate(old, (selId) => {
      const entry = this.selectors.get(selId)!;
      if (entry.matches.delete(id)) this.listener.onMatchStopped(selId, id);
    });
    this.unindexItem(id, old);
    this.items.delete(id);
  }

  /** Calls fn for every selector that currently matches the item. */
  forEachSelectorMatching(itemId: string, fn: (selectorId: string) => void): void {
    const labels = this.items.get(itemId);
    if (labels === undefined) return;
    // One labels object never yields a selector twice (a selector is filed under one key).
    this.forEachCandidate(labels, (selId) => {
      if (this.selectors.get(selId)!.matches.has(itemId)) fn(selId);
    });
  }

  // ------------------------------------------------------------------ selectors

  /** Items the selector matches (live; do not modify). */
  matchesOf(selectorId: string): ReadonlySet<string> | undefined {
    return this.selectors.get(selectorId)?.matches;
  }

  /** Adds or replaces a selector; emits a start for each new match (before any stop). */
  updateSelector(id: string, selector: Selector): void {
    const canonical = selector.toString();
    const old = this.selectors.get(id);
    if (old !== undefined && old.canonical === canonical) {
      old.selector = selector;
      return;
    }
    const entry: SelectorEntry = { selector, canonical, filing: this.chooseFiling(selector), matches: new Set() };
    this.forEachItemCandidate(entry.filing, (itemId, labels) => {
      if (selector.matches(labels)) entry.matches.add(itemId);
    });
    if (old !== undefined) this.unfileSelector(id, old.filing);
    this.selectors.set(id, entry);
    this.fileSelector(id, entry.filing);
    for (const itemId of entry.matches) {
      if (old === undefined || !old.matches.has(itemId)) this.listener.onMatchStarted(id, itemId);
    }
    if (old !== undefined) {
      for (const itemId of old.matches) {
        if (!entry.matches.has(itemId)) this.listener.onMatchStopped(id, itemId);
      }
    }
  }

  /** Removes a selector; emits a stop for each of its matches. */
  removeSelector(id: string): void {
    const old = this.selectors.get(id);
    if (old === undefined) return;
    this.selectors.delete(id);
    this.unfileSelector(id, old.filing);
    for (const itemId of old.matches) this.listener.onMatchStopped(id, itemId);
  }

  // ------------------------------------------------------------------ internals

  private forEachCandidate(labels: Labels, fn: (selectorId: string) => void): void {
    for (const s of this.unrestricted) fn(s);
    for (const k in labels) {
      if (!hasOwn(labels, k)) continue;
      const byKey = this.selectorsByKey.get(k);
      if (byKey) for (const s of byKey) fn(s);
      const byValue = this.selectorsByLabel.get(k)?.get(labels[k]!);
      if (byValue) for (const s of byValue) fn(s);
    }
  }

  private forEachItemCandidate(filing: Filing, fn: (itemId: string, labels: Labels) => void): void {
    switch (filing.kind) {
      case 'none':
        return;
      case 'all':
        for (const [id, labels] of this.items) fn(id, labels);
        return;
      case 'key': {
        const byValue = this.itemsByLabel.get(filing.key);
        if (byValue) for (const ids of byValue.values()) for (const id of ids) fn(id, this.items.get(id)!);
        return;
      }
      case 'values': {
        const byValue = this.itemsByLabel.get(filing.key);
        if (!byValue) return;
        for (const v of filing.values) {
          const ids = byValue.get(v);
          if (ids) for (const id of ids) fn(id, this.items.get(id)!);
        }
        return;
      }
    }
  }

  /** The restriction with the fewest items right now (the filing never affects correctness). */
  private chooseFiling(selector: Selector): Filing {
    let best: Filing = { kind: 'all' };
    let bestCost = Infinity;
    for (const [key, r] of selector.labelRestrictions()) {
      if (r.mustHaveOneOfValues !== undefined) {
        if (r.mustHaveOneOfValues.size === 0) return { kind: 'none' };
        const byValue = this.itemsByLabel.get(key);
        let cost = 0;
        for (const v of r.mustHaveOneOfValues) cost += byValue?.get(v)?.size ?? 0;
        // A value list costs one lookup per value on the item side too; prefer it on ties.
        if (cost < bestCost || (cost === bestCost && best.kind === 'key')) {
          best = { kind: 'values', key, values: [...r.mustHaveOneOfValues] };
          bestCost = cost;
        }
      } else if (r.mustBePresent) {
        const cost = this.itemCountByKey.get(key) ?? 0;
        if (cost < bestCost) {
          best = { kind: 'key', key };
          bestCost = cost;
        }
      }
    }
    return best;
  }

  private fileSelector(id: string, f: Filing): void {
    switch (f.kind) {
      case 'all':
        this.unrestricted.add(id);
        return;
      case 'none':
        return;
      case 'key':
        getOrCreate(this.selectorsByKey, f.key, () => new Set()).add(id);
        return;
      case 'values': {
        const byValue = getOrCreate(this.selectorsByLabel, f.key, () => new Map());
        for (const v of f.values) getOrCreate(byValue, v, () => new Set<string>()).add(id);
        return;
      }
    }
  }

  private unfileSelector(id: string, f: Filing): void {
    switch (f.kind) {
      case 'all':
        this.unrestricted.delete(id);
        return;
      case 'none':
        return;
      case 'key': {
        const s = this.selectorsByKey.get(f.key);
        if (s && s.delete(id) && s.size === 0) this.selectorsByKey.delete(f.key);
        return;
      }
      case 'values': {
        const byValue = this.selectorsByLabel.get(f.key);
        if (!byValue) return;
        for (const v of f.values) {
          const s = byValue.get(v);
          if (s && s.delete(id) && s.size === 0) byValue.delete(v);
        }
        if (byValue.size === 0) this.selectorsByLabel.delete(f.key);
        return;
      }
    }
  }

  private indexItem(id: string, labels: Labels): void {
    for (const k in labels) {
      if (!hasOwn(labels, k)) continue;
      const byValue = getOrCreate(this.itemsByLabel, k, () => new Map());
      getOrCreate(byValue, labels[k]!, () => new Set<string>()).add(id);
      this.itemCountByKey.set(k, (this.itemCountByKey.get(k) ?? 0) + 1);
    }
  }

  private unindexItem(id: string, labels: Labels): void {
    for (const k in labels) {
      if (!hasOwn(labels, k)) continue;
      const byValue = this.itemsByLabel.get(k);
      const ids = byValue?.get(labels[k]!);
      if (!byValue || !ids) continue;
      ids.delete(id);
      if (ids.size === 0) byValue.delete(labels[k]!);
      if (byValue.size === 0) this.itemsByLabel.delete(k);
      const n = (this.itemCountByKey.get(k) ?? 1) - 1;
      if (n === 0) this.itemCountByKey.delete(k);
      else this.itemCountByKey.set(k, n);
    }
  }
}
