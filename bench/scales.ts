// The cluster sizes of issue 7. Namespaces and apps grow with the cluster so label
// cardinality (and so selector selectivity) stays realistic at every scale.
export type ScaleName = 'S' | 'M' | 'L';
export const SCALE_NAMES: readonly ScaleName[] = ['S', 'M', 'L'];

export interface ScaleSpec {
  name: ScaleName;
  /** Workload endpoints on the benchmarked node. */
  localEndpoints: number;
  /** Workload endpoints in the whole cluster (local included). */
  totalEndpoints: number;
  policies: number;
  /** Distinct selectors (policy selectors, rule selectors and profile tags) the generator aims for. */
  distinctSelectors: number;
  namespaces: number;
  /** Apps per namespace. */
  appsPerNamespace: number;
  /** Changes timed per incremental kind (the median is reported). */
  incrementalRepeats: number;
  /** Cold starts timed, each in a fresh process (the median is reported). */
  coldStartRepeats: number;
}

export const SCALES: Readonly<Record<ScaleName, ScaleSpec>> = {
  S: { name: 'S', localEndpoints: 100, totalEndpoints: 1_000, policies: 100, distinctSelectors: 200, namespaces: 10, appsPerNamespace: 10, incrementalRepeats: 60, coldStartRepeats: 5 },
  M: { name: 'M', localEndpoints: 500, totalEndpoints: 10_000, policies: 1_000, distinctSelectors: 2_000, namespaces: 40, appsPerNamespace: 25, incrementalRepeats: 60, coldStartRepeats: 7 },
  L: { name: 'L', localEndpoints: 1_000, totalEndpoints: 50_000, policies: 5_000, distinctSelectors: 10_000, namespaces: 100, appsPerNamespace: 50, incrementalRepeats: 40, coldStartRepeats: 5 },
};

export function parseScale(text: string): ScaleName {
  const s = text.toUpperCase();
  if (s === 'S' || s === 'M' || s === 'L') return s;
  throw new Error(`--scale: must be S, M or L, got ${JSON.stringify(text)}`);
}
