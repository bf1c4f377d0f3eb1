// Order statistics for timings.
export function quantile(samples: readonly number[], q: number): number {
  if (samples.length === 0) throw new Error('quantile: no samples');
  const sorted = [...samples].sort((a, b) => a - b);
  // Nearest rank: the smallest sample with at least q of the samples at or below it.
  const rank = Math.max(1, Math.ceil(q * sorted.length));
  return sorted[rank - 1]!;
}

export const median = (samples: readonly number[]): number => quantile(samples, 0.5);

/** Milliseconds rounded to 0.001 ms (JSON and table friendly). */
export const round = (ms: number, digits = 3): number => Number(ms.toFixed(digits));

export function time<T>(fn: () => T): { ms: number; value: T } {
  const start = performance.now();
  const value = fn();
  return { ms: performance.now() - start, value };
}

export function gc(): void {
  (globalThis as { gc?: () => void }).gc?.();
}
