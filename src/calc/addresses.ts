// The addresses an endpoint contributes to IP sets.
import type { HostEndpointData, WorkloadEndpointData } from '../model/types.js';
import type { EndpointAddresses } from './ipset-members.js';

/** A workload's networks as stored (already /32 or /128). */
export function workloadAddresses(data: WorkloadEndpointData): EndpointAddresses {
  return { v4: data.ipv4Nets, v6: data.ipv6Nets };
}

/** A host endpoint's expected IPs, written as /32 and /128 networks like a workload's. */
export function hostAddresses(data: HostEndpointData): EndpointAddresses {
  const asNet = (a: string, bits: number): string => (a.includes('/') ? a : `${a}/${bits}`);
  return {
    v4: data.expectedIpv4Addrs.map((a) => asNet(a, 32)),
    v6: data.expectedIpv6Addrs.map((a) => asNet(a, 128)),
  };
}
