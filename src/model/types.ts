// Domain types shared by every stage. Two shapes of the same data exist:
//  - API resources (the calicoctl v1 YAML shape) used by the CLI;
//  - datastore records (the Calico v1 etcd layout, decoded) used by calc.
// Both carry rules as the same `Rule` type.

/** Labels of an endpoint or profile. Read with own-property lookups only. */
export type Labels = Readonly<Record<string, string>>;

export type Action = 'allow' | 'deny' | 'log' | 'pass';

/** A named protocol (tcp, udp, icmp, icmpv6, sctp, udplite) or a number 1-255. */
export type Protocol = string | number;

/** A single port (1-65535) or a range written "a:b" with a < b. */
export type Port = number | string;

export interface EntityRule {
  tag?: string;
  notTag?: string;
  net?: string;
  notNet?: string;
  nets?: string[];
  notNets?: string[];
  selector?: string;
  notSelector?: string;
  ports?: Port[];
  notPorts?: Port[];
}

export interface IcmpMatch {
  type?: number;
  code?: number;
}

export interface Rule {
  action: Action;
  ipVersion?: 4 | 6;
  protocol?: Protocol;
  notProtocol?: Protocol;
  icmp?: IcmpMatch;
  notICMP?: IcmpMatch;
  source?: EntityRule;
  destination?: EntityRule;
}

export type PolicyType = 'ingress' | 'egress';

// ---------------------------------------------------------------- API resources (v1)

export interface ProfileMetadata {
  name: string;
  labels?: Record<string, string>;
  tags?: string[];
}
export interface ProfileSpec {
  ingress?: Rule[];
  egress?: Rule[];
}
export interface Profile {
  apiVersion: 'v1';
  kind: 'profile';
  metadata: ProfileMetadata;
  spec: ProfileSpec;
}

export interface PolicyMetadata {
  name: string;
  annotations?: Record<string, string>;
}
export interface PolicySpec {
  order?: number;
  selector?: string;
  ingress?: Rule[];
  egress?: Rule[];
  types?: PolicyType[];
  doNotTrack?: boolean;
  preDNAT?: boolean;
}
export interface Policy {
  apiVersion: 'v1';
  kind: 'policy';
  metadata: PolicyMetadata;
  spec: PolicySpec;
}

export interface IpNat {
  internalIP: string;
  externalIP: string;
}
export interface WorkloadEndpointMetadata {
  name: string;
  node: string;
  orchestrator: string;
  workload: string;
  labels?: Record<string, string>;
  activeInstanceID?: string;
}
export interface WorkloadEndpointSpec {
  interfaceName: string;
  ipNetworks?: string[];
  ipNATs?: IpNat[];
  ipv4Gateway?: string;
  ipv6Gateway?: string;
  mac?: string;
  profiles?: string[];
}
export interface WorkloadEndpoint {
  apiVersion: 'v1';
  kind: 'workloadEndpoint';
  metadata: WorkloadEndpointMetadata;
  spec: WorkloadEndpointSpec;
}

export interface HostEndpointMetadata {
  name: string;
  node: string;
  labels?: Record<string, string>;
}
export interface HostEndpointSpec {
  interfaceName?: string;
  expectedIPs?: string[];
  profiles?: string[];
}
export interface HostEndpoint {
  apiVersion: 'v1';
  kind: 'hostEndpoint';
  metadata: HostEndpointMetadata;
  spec: HostEndpointSpec;
}

export type Resource = Profile | Policy | WorkloadEndpoint | HostEndpoint;
export type ResourceKind = Resource['kind'];

// ---------------------------------------------------------------- datastore records (decoded v1 keys)

export interface WorkloadEndpointId {
  node: string;
  orchestrator: string;
  workload: string;
  name: string;
}
export interface HostEndpointId {
  node: string;
  name: string;
}

/** Decoded value of /calico/v1/host/<node>/workload/<orch>/<workload>/endpoint/<name>. */
export interface WorkloadEndpointData {
  state: string; // "active" or anything else (inactive: drop everything)
  interfaceName: string;
  mac?: string;
  profileIds: string[];
  ipv4Nets: string[];
  ipv6Nets: string[];
  ipv4Nat?: { int_ip: string; ext_ip: string }[];
  ipv6Nat?: { int_ip: string; ext_ip: string }[];
  ipv4Gateway?: string;
  ipv6Gateway?: string;
  labels: Labels;
  activeInstanceId?: string;
}

/** Decoded value of /calico/v1/host/<node>/endpoint/<name>. */
export interface HostEndpointData {
  interfaceName?: string;
  expectedIpv4Addrs: string[];
  expectedIpv6Addrs: string[];
  profileIds: string[];
  labels: Labels;
}

/** Decoded value of /calico/v1/policy/tier/default/policy/<name>. */
export interface PolicyData {
  order?: number;
  selector: string;
  inbound: Rule[];
  outbound: Rule[];
  types?: PolicyType[];
  doNotTrack?: boolean;
  preDNAT?: boolean;
  annotations?: Record<string, string>;
}

export interface ProfileRulesData {
  inbound: Rule[];
  outbound: Rule[];
}

/** One datastore key, identified by what it describes. */
export type DatastoreKey =
  | { kind: 'profileRules'; profile: string }
  | { kind: 'profileTags'; profile: string }
  | { kind: 'profileLabels'; profile: string }
  | { kind: 'policy'; tier: string; name: string }
  | { kind: 'workloadEndpoint'; id: WorkloadEndpointId }
  | { kind: 'hostEndpoint'; id: HostEndpointId };

/** A decoded key with its decoded value (value absent = deleted). */
export type DatastoreUpdate =
  | { kind: 'profileRules'; profile: string; value?: ProfileRulesData }
  | { kind: 'profileTags'; profile: string; value?: string[] }
  | { kind: 'profileLabels'; profile: string; value?: Labels }
  | { kind: 'policy'; tier: string; name: string; value?: PolicyData }
  | { kind: 'workloadEndpoint'; id: WorkloadEndpointId; value?: WorkloadEndpointData }
  | { kind: 'hostEndpoint'; id: HostEndpointId; value?: HostEndpointData };
