// A map that remembers, per key, its value at the last takeChanges(), so a flush reports
// exactly what differs however many times a key changed in between (a value changed and changed
// back to an equal one is no change).
export interface MapChanges<V> {
  changed: Map<string, V>;
  removed: Set<string>;
}

export class TrackedMap<V> {
  private readonly current = new Map<string, V>();
  private readonly before = new Map<string, V | undefined>();

  /** `same` tells an equal value from a changed one (default: the same object). */
  constructor(private readonly same: (a: V, b: V) => boolean = (a, b) => a === b) {}

  /** Live read-only view. */
  get view(): ReadonlyMap<string, V> {
    return this.current;
  }

  get(key: string): V | undefined {
    return this.current.get(key);
  }

  set(key: string, value: V): void {
    if (this.current.get(key) === value) return;
    this.remember(key);
    this.current.set(key, value);
  }

  delete(key: string): void {
    if (!this.current.has(key)) return;
    this.remember(key);
    this.current.delete(key);
  }

  takeChanges(): MapChanges<V> {
    const out: MapChanges<V> = { changed: new Map(), removed: new Set() };
    for (const [key, was] of this.before) {
      const now = this.current.get(key);
      if (now === undefined) {
        if (was !== undefined) out.removed.add(key);
      } else if (was === undefined || (now !== was && !this.same(was, now))) out.changed.set(key, now);
    }
    this.before.clear();
    return out;
  }

  private remember(key: string): void {
    if (!this.before.has(key)) this.before.set(key, this.current.get(key));
  }
}
