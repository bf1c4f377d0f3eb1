// The workload plumbing half of `tabby diff`: Tabby's routes and neighbour
// entries (those carrying its routing protocol number) against what the local
// endpoints need. An endpoint whose interface does not exist is left out: an
// apply would skip it too. Sysctls are not shown (they are set, never reset).
import type { LocalEndpoint } from '../compiler/desired-state.js';
import type { PlumbingState, WorkloadNeighbour, WorkloadRoute } from './plumbing.js';
import { desiredPlumbing } from './plumbing.js';
import type { DiffLine } from './unified-diff.js';
import { unifiedDiff } from './unified-diff.js';

const byText = (a: DiffLine, b: DiffLine): number => (a.text < b.text ? -1 : a.text > b.text ? 1 : 0);

/** A unified diff of routes and of neighbour entries; '' when they are in step. */
export function diffPlumbing(have: PlumbingState, endpoints: Iterable<LocalEndpoint>, ipVersion: 4 | 6): string {
  const want = desiredPlumbing(endpoints, ipVersion);
  const hostLen = ipVersion === 4 ? 32 : 128;
  const route = (r: WorkloadRoute): DiffLine => {
    const text = `${r.dst.includes('/') ? r.dst : `${r.dst}/${hostLen}`} dev ${r.dev}`;
    return { key: text, text };
  };
  const neigh = (n: WorkloadNeighbour): DiffLine => {
    const text = `${n.ip} lladdr ${n.mac} dev ${n.dev}`;
    return { key: text, text };
  };
  const present = (dev: string): boolean => have.links.has(dev);
  const family = `ipv${ipVersion}`;
  return [
    unifiedDiff(`kernel/${family}/routes`, `desired/${family}/routes`,
      have.routes.map(route).sort(byText), want.routes.filter((r) => present(r.dev)).map(route).sort(byText)),
    unifiedDiff(`kernel/${family}/neighbours`, `desired/${family}/neighbours`,
      have.neighbours.map(neigh).sort(byText), want.neighbours.filter((n) => present(n.dev)).map(neigh).sort(byText)),
  ].join('');
}
