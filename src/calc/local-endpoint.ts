// The compiler's view of one local workload endpoint, built the same way by the incremental
// graph and the from-scratch computation.
import type { WorkloadEndpointData } from '../model/types.js';
import type { LocalEndpoint } from '../../compiler/desired-state.js';

export function buildLocalEndpoint(
  id: string,
  data: WorkloadEndpointData,
  ingressPolicies: string[],
  egressPolicies: string[],
): LocalEndpoint {
  const ep: LocalEndpoint = {
    id,
    interfaceName: data.interfaceName,
    active: data.state === 'active',
    ipv4Nets: data.ipv4Nets,
    ipv6Nets: data.ipv6Nets,
    ingressPolicies,
    egressPolicies,
    profileIds: data.profileIds,
  };
  if (data.mac !== undefined) ep.mac = data.mac;
  return ep;
}

export const sameStrings = (a: readonly string[], b: readonly string[]): boolean =>
  a === b || (a.length === b.length && a.every((x, i) => x === b[i]));

export function sameLocalEndpoint(a: LocalEndpoint, b: LocalEndpoint): boolean {
  return (
    a.id === b.id &&
    a.interfaceName === b.interfaceName &&
    a.active === b.active &&
    a.mac === b.mac &&
    sameStrings(a.ipv4Nets, b.ipv4Nets) &&
    sameStrings(a.ipv6Nets, b.ipv6Nets) &&
    sameStrings(a.ingressPolicies, b.ingressPolicies) &&
    sameStrings(a.egressPolicies, b.egressPolicies) &&
    sameStrings(a.profileIds, b.profileIds)
  );
}

/** Of several local endpoints with one interface name, the one DesiredState shows: the least key. */
export function interfaceWinner(keys: Iterable<string>): string | undefined {
  let best: string | undefined;
  for (const k of keys) if (best === undefined || k < best) best = k;
  return best;
}
