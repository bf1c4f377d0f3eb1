// Which selectors match which labelled items, kept up to date in both directions.
//
// Items are indexed by label key, and by value for the keys whose values some selector
// restricts (filed on first use); each selector is filed under the one label
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

/**
 * The items that have one label key, each id with its labels (so a scan needs no second lookup).
 * They are also filed by value, but only once a selector restricts the key's values: most label
 * keys (a pod's template hash, say) never are, and filing each of their values would cost a map
 * per item for nothing.
 */
interface ItemsWithKey {
  items: Map<string, Labels>;
  byValue?: Map<string, Map<string, Labels>>;
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
  /** label key -> the items that have it (and, once a selector needs it, by value) */
  private readonly itemsByLabel = new Map<string, ItemsWithKey>();

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
    if (old === undefined) {
      this.items.set(id, labels);
      this.indexItem(id, labels);
      // A new item: one labels object never yields a selector twice, so no de-duplication.
      // (A first load indexes every item before any selector exists.)
      if (this.selectors.size > 0) this.forEachCandidate(labels, (selId) => this.reevaluate(selId, id, labels));
      return;
    }
    // An equal labels object changes nothing; the index keeps the object it holds.
    if (labelsEqual(old, labels)) return;
    this.items.set(id, labels);
    this.unindexItem(id, old);
    this.indexItem(id, labels);
    const candidates = new Set<string>();
    this.forEachCandidate(old, (s) => candidates.add(s));
    this.forEachCandidate(labels, (s) => candidates.add(s));
    for (const selId of candidates) this.reevaluate(selId, id, labels);
  }

  /** Re-evaluates one selector against one item's new labels and reports a change of match. */
  private reevaluate(selId: string, id: string, labels: Labels): void {
    const entry = this.selectors.get(selId)!;
    const was = entry.matches.has(id);
    const now = entry.selector.matches(labels);
    if (was === now) return;
    if (now) {
      entry.matches.add(id);
      this.listener.onMatchStarted(selId, id);
    } else {
      entry.matches.delete(id);
      this.listener.onMatchStopped(selId, id);
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
    this.forEachItemCandidate(entry.filing, (labels, itemId) => {
      if (selector.matches(labels)) entry.matches.add(itemId);
    });
    if (old !== undefined) this.unfileSelector(id, old.filing);
    this.selectors.set(id, entry);
    this.fileSelector(id, entry.filing);
    entry.matches.forEach((itemId) => {
      if (old === undefined || !old.matches.has(itemId)) this.listener.onMatchStarted(id, itemId);
    });
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

  /**
   * Calls fn for every item the filing admits. Map.forEach, as a scan visits hundreds of
   * thousands of items at start-up and for-of would allocate an entry pair for each.
   */
  private forEachItemCandidate(filing: Filing, fn: (labels: Labels, itemId: string) => void): void {
    switch (filing.kind) {
      case 'none':
        return;
      case 'all':
        this.items.forEach(fn);
        return;
      case 'key':
        this.itemsByLabel.get(filing.key)?.items.forEach(fn);
        return;
      case 'values': {
        const byValue = this.itemsByValue(filing.key);
        if (!byValue) return;
        for (const v of filing.values) byValue.get(v)?.forEach(fn);
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
        const byValue = this.itemsByValue(key);
        let cost = 0;
        for (const v of r.mustHaveOneOfValues) cost += byValue?.get(v)?.size ?? 0;
        // A value list costs one lookup per value on the item side too; prefer it on ties.
        if (cost < bestCost || (cost === bestCost && best.kind === 'key')) {
          best = { kind: 'values', key, values: [...r.mustHaveOneOfValues] };
          bestCost = cost;
        }
      } else if (r.mustBePresent) {
        const cost = this.itemsByLabel.get(key)?.items.size ?? 0;
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

  /** The items with the key, by value (filed now if no selector needed them before). */
  private itemsByValue(key: string): Map<string, Map<string, Labels>> | undefined {
    const withKey = this.itemsByLabel.get(key);
    if (withKey === undefined) return undefined;
    if (withKey.byValue === undefined) {
      const byValue = new Map<string, Map<string, Labels>>();
      withKey.items.forEach((labels, id) => fileItemValue(byValue, id, labels, labels[key]!));
      withKey.byValue = byValue;
    }
    return withKey.byValue;
  }

  private indexItem(id: string, labels: Labels): void {
    for (const k in labels) {
      if (!hasOwn(labels, k)) continue;
      let withKey = this.itemsByLabel.get(k);
      if (withKey === undefined) this.itemsByLabel.set(k, (withKey = { items: new Map() }));
      withKey.items.set(id, labels);
      if (withKey.byValue !== undefined) fileItemValue(withKey.byValue, id, labels, labels[k]!);
    }
  }

  private unindexItem(id: string, labels: Labels): void {
    for (const k in labels) {
      if (!hasOwn(labels, k)) continue;
      const withKey = this.itemsByLabel.get(k);
      if (withKey === undefined || !withKey.items.delete(id)) continue;
      if (withKey.items.size === 0) {
        this.itemsByLabel.delete(k);
        continue;
      }
      const v = labels[k]!;
      const items = withKey.byValue?.get(v);
      if (items !== undefined && items.delete(id) && items.size === 0) withKey.byValue!.delete(v);
    }
  }
}

function fileItemValue(byValue: Map<string, Map<string, Labels>>, id: string, labels: Labels, value: string): void {
  let items = byValue.get(value);
  if (items === undefined) byValue.set(value, (items = new Map()));
  items.set(id, labels);
}
