// Keys for endpoints inside calc. Names may contain '/' (v1), so the parts are escaped the way
// storage keys are ('%' -> %25, '/' -> %2f): two different ids never share a key.
import type { HostEndpointId, WorkloadEndpointId } from '../model/types.js';

const escapePart = (s: string): string =>
  s.includes('%') || s.includes('/') ? s.replace(/%/g, '%25').replace(/\//g, '%2f') : s;

/** Unambiguous key of a workload endpoint; also the tie-break order for interface-name clashes. */
export function workloadEndpointKey(id: WorkloadEndpointId): string {
  // join() builds one flat string; a template keeps its pieces alive (one key per endpoint).
  return ['w', escapePart(id.node), escapePart(id.orchestrator), escapePart(id.workload), escapePart(id.name)].join('/');
}

/** Unambiguous key of a host endpoint (distinct from every workload key by its prefix). */
export function hostEndpointKey(id: HostEndpointId): string {
  return ['h', escapePart(id.node), escapePart(id.name)].join('/');
}

/** The printable id of DesiredState: "<node>/<orchestrator>/<workload>/<name>". */
export function printableEndpointId(id: WorkloadEndpointId): string {
  return [id.node, id.orchestrator, id.workload, id.name].join('/');
}
