// A small seeded PRNG (mulberry32) so every benchmark run builds the same cluster.
export class Prng {
  private state: number;

  constructor(seed: number) {
    if (!Number.isInteger(seed)) throw new Error(`seed: must be an integer, got ${JSON.stringify(seed)}`);
    this.state = seed >>> 0;
  }

  /** Uniform in [0, 1). */
  next(): number {
    let t = (this.state = (this.state + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** Integer in [lo, hi]. */
  int(lo: number, hi: number): number {
    return lo + Math.floor(this.next() * (hi - lo + 1));
  }

  chance(p: number): boolean {
    return this.next() < p;
  }

  pick<T>(items: readonly T[]): T {
    if (items.length === 0) throw new Error('pick: empty list');
    return items[Math.floor(this.next() * items.length)]!;
  }

  /**
   * Index in [0, n) with a Zipf-like skew (weight 1/(i+1)^s): a few large apps and namespaces,
   * a long tail of small ones, as in real clusters.
   */
  zipf(n: number, s = 1): number {
    let total = 0;
    for (let i = 0; i < n; i++) total += 1 / (i + 1) ** s;
    let r = this.next() * total;
    for (let i = 0; i < n; i++) {
      r -= 1 / (i + 1) ** s;
      if (r < 0) return i;
    }
    return n - 1;
  }

  shuffle<T>(items: T[]): T[] {
    for (let i = items.length - 1; i > 0; i--) {
      const j = Math.floor(this.next() * (i + 1));
      [items[i], items[j]] = [items[j]!, items[i]!];
    }
    return items;
  }
}
