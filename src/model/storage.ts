// The storage codec (pure): v1 resources <-> the Calico v1 etcd layout of
// DESIGN.md section 2, and datastore keys/values <-> DatastoreKey/DatastoreUpdate
// for calc. Values are validated on the way in with the same checks as YAML,
// so a hand-edited or foreign datastore cannot smuggle bad text to the dataplane.
import { fieldPath, invalid, missing, ValidationError } from './errors.js';
import { cidrContains, parseCidr, parseIpAddress, type IpVersion } from './net.js';
import { checkKeys, own, present, readList, readObject, readString, type RawObject } from './read.js';
import { ruleToStorage, rulesFromStorage } from './rule-storage.js';
import { checkSelector } from './rules.js';
import { DEFAULT_TIER, formatDatastoreKey, parseDatastoreKey } from './storage-keys.js';
import type {
  DatastoreKey, DatastoreUpdate, HostEndpoint, HostEndpointData, HostEndpointId, Labels, Policy, PolicyData, PolicyType,
  Profile, ProfileRulesData, Resource, ResourceKind, WorkloadEndpoint, WorkloadEndpointData, WorkloadEndpointId,
} from './types.js';
import {
  checkHostNetwork, checkInterfaceName, checkIpAddress, checkMac, checkOwnedLabels, checkResourceName, checkTags,
} from './validation.js';

export * from './storage-keys.js';

// ---------------------------------------------------------------- values: encoding

const splitByVersion = (items: readonly string[], versionOf: (s: string) => IpVersion) => ({
  v4: items.filter((s) => versionOf(s) === 4),
  v6: items.filter((s) => versionOf(s) === 6),
});
const textVersion = (s: string): IpVersion => (s.includes(':') ? 6 : 4);

function rulesValue(data: ProfileRulesData | PolicyData): { inbound_rules: unknown[]; outbound_rules: unknown[] } {
  return { inbound_rules: data.inbound.map(ruleToStorage), outbound_rules: data.outbound.map(ruleToStorage) };
}

/** The JSON stored for a decoded value (field order as libcalico-go writes it). */
export function encodeDatastoreValue(update: DatastoreUpdate): string {
  if (update.value === undefined) throw new Error('a deleted key has no value to encode');
  switch (update.kind) {
    case 'profileRules':
      return JSON.stringify(rulesValue(update.value));
    case 'profileTags':
      return JSON.stringify(update.value);
    case 'profileLabels':
      return JSON.stringify(update.value);
    case 'policy': {
      const p = update.value;
      const out: Record<string, unknown> = {};
      if (p.order !== undefined) out.order = p.order;
      Object.assign(out, rulesValue(p));
      out.selector = p.selector;
      if (p.doNotTrack) out.untracked = true;
      if (p.annotations && Object.keys(p.annotations).length) out.annotations = p.annotations;
      if (p.preDNAT) out.pre_dnat = true;
      if (p.types && p.types.length) out.types = p.types;
      return JSON.stringify(out);
    }
    case 'workloadEndpoint': {
      const w = update.value;
      const out: Record<string, unknown> = { state: w.state, name: w.interfaceName };
      if (w.activeInstanceId) out.active_instance_id = w.activeInstanceId;
      if (w.mac !== undefined) out.mac = w.mac;
      out.profile_ids = w.profileIds;
      out.ipv4_nets = w.ipv4Nets;
      out.ipv6_nets = w.ipv6Nets;
      if (w.ipv4Nat && w.ipv4Nat.length) out.ipv4_nat = w.ipv4Nat;
      if (w.ipv6Nat && w.ipv6Nat.length) out.ipv6_nat = w.ipv6Nat;
      out.labels = w.labels;
      if (w.ipv4Gateway !== undefined) out.ipv4_gateway = w.ipv4Gateway;
      if (w.ipv6Gateway !== undefined) out.ipv6_gateway = w.ipv6Gateway;
      return JSON.stringify(out);
    }
    case 'hostEndpoint': {
      const h = update.value;
      const out: Record<string, unknown> = {};
      if (h.interfaceName !== undefined) out.name = h.interfaceName;
      out.expected_ipv4_addrs = h.expectedIpv4Addrs;
      out.expected_ipv6_addrs = h.expectedIpv6Addrs;
      out.labels = h.labels;
      out.profile_ids = h.profileIds;
      return JSON.stringify(out);
    }
  }
}

/** The datastore records of a (validated, normal-form) resource. */
export function resourceToUpdates(r: Resource): DatastoreUpdate[] {
  switch (r.kind) {
    case 'profile': {
      const profile = r.metadata.name;
      return [
        { kind: 'profileRules', profile, value: { inbound: r.spec.ingress ?? [], outbound: r.spec.egress ?? [] } },
        { kind: 'profileTags', profile, value: r.metadata.tags ?? [] },
        { kind: 'profileLabels', profile, value: r.metadata.labels ?? {} },
      ];
    }
    case 'policy': {
      const s = r.spec;
      const value: PolicyData = { selector: s.selector ?? '', inbound: s.ingress ?? [], outbound: s.egress ?? [] };
      if (s.order !== undefined) value.order = s.order;
      if (s.types) value.types = s.types;
      if (s.doNotTrack) value.doNotTrack = true;
      if (s.preDNAT) value.preDNAT = true;
      if (r.metadata.annotations) value.annotations = r.metadata.annotations;
      return [{ kind: 'policy', tier: DEFAULT_TIER, name: r.metadata.name, value }];
    }
    case 'workloadEndpoint': {
      const { metadata: m, spec: s } = r;
      const nets = splitByVersion(s.ipNetworks ?? [], textVersion);
      const nats = s.ipNATs ?? [];
      const toNat = (n: { internalIP: string; externalIP: string }) => ({ int_ip: n.internalIP, ext_ip: n.externalIP });
      const value: WorkloadEndpointData = {
        state: 'active',
        interfaceName: s.interfaceName,
        profileIds: s.profiles ?? [],
        ipv4Nets: nets.v4,
        ipv6Nets: nets.v6,
        labels: m.labels ?? {},
      };
      if (s.mac !== undefined) value.mac = s.mac;
      const nat4 = nats.filter((n) => textVersion(n.internalIP) === 4).map(toNat);
      const nat6 = nats.filter((n) => textVersion(n.internalIP) === 6).map(toNat);
      if (nat4.length) value.ipv4Nat = nat4;
      if (nat6.length) value.ipv6Nat = nat6;
      if (s.ipv4Gateway !== undefined) value.ipv4Gateway = s.ipv4Gateway;
      if (s.ipv6Gateway !== undefined) value.ipv6Gateway = s.ipv6Gateway;
      if (m.activeInstanceID !== undefined) value.activeInstanceId = m.activeInstanceID;
      const id: WorkloadEndpointId = { node: m.node, orchestrator: m.orchestrator, workload: m.workload, name: m.name };
      return [{ kind: 'workloadEndpoint', id, value }];
    }
    case 'hostEndpoint': {
      const { metadata: m, spec: s } = r;
      const ips = splitByVersion(s.expectedIPs ?? [], textVersion);
      const value: HostEndpointData = {
        expectedIpv4Addrs: ips.v4,
        expectedIpv6Addrs: ips.v6,
        profileIds: s.profiles ?? [],
        labels: m.labels ?? {},
      };
      if (s.interfaceName !== undefined) value.interfaceName = s.interfaceName;
      return [{ kind: 'hostEndpoint', id: { node: m.node, name: m.name }, value }];
    }
  }
}

export function updateKey(u: DatastoreUpdate): DatastoreKey {
  switch (u.kind) {
    case 'profileRules':
    case 'profileTags':
    case 'profileLabels':
      return { kind: u.kind, profile: u.profile };
    case 'policy':
      return { kind: 'policy', tier: u.tier, name: u.name };
    case 'workloadEndpoint':
    case 'hostEndpoint':
      return { kind: u.kind, id: u.id } as DatastoreKey;
  }
}

/** The keys and JSON values of a (validated, normal-form) resource: a profile is three keys, the rest one. */
export function resourceToKV(r: Resource): { key: string; value: string }[] {
  return resourceToUpdates(r).map((u) => ({ key: formatDatastoreKey(updateKey(u)), value: encodeDatastoreValue(u) }));
}

// ---------------------------------------------------------------- values: decoding

const nonEmptyMap = (m: Labels): Record<string, string> | undefined => (Object.keys(m).length ? { ...m } : undefined);

function decodeProfileRules(raw: unknown): ProfileRulesData {
  const o = readObject(raw, '', 'a JSON object with inbound_rules and outbound_rules');
  checkKeys(o, ['inbound_rules', 'outbound_rules'], '');
  return {
    inbound: present(own(o, 'inbound_rules')) ? rulesFromStorage(o.inbound_rules, 'inbound_rules') : [],
    outbound: present(own(o, 'outbound_rules')) ? rulesFromStorage(o.outbound_rules, 'outbound_rules') : [],
  };
}

const POLICY_KEYS = ['order', 'inbound_rules', 'outbound_rules', 'selector', 'untracked', 'annotations', 'pre_dnat', 'types'];

function decodePolicy(raw: unknown): PolicyData {
  const o = readObject(raw, '', 'a JSON object');
  checkKeys(o, POLICY_KEYS, '');
  const rules = decodeProfileRules({ inbound_rules: own(o, 'inbound_rules'), outbound_rules: own(o, 'outbound_rules') });
  const sel = own(o, 'selector');
  const p: PolicyData = { selector: present(sel) && sel !== '' ? checkSelector(sel, 'selector') : '', ...rules };
  const order = own(o, 'order');
  if (present(order)) {
    if (typeof order !== 'number' || !Number.isFinite(order)) throw invalid('order', order, 'order must be a number');
    p.order = order;
  }
  if (present(own(o, 'types'))) {
    const types: PolicyType[] = [];
    readList(o.types, 'types').forEach((t, i) => {
      if (t !== 'ingress' && t !== 'egress') throw invalid(fieldPath('types', i), t, 'a policy type must be ingress or egress');
      if (types.includes(t)) throw invalid(fieldPath('types', i), t, 'policy types must not repeat');
      types.push(t);
    });
    if (types.length) p.types = types;
  }
  for (const [key, field] of [['untracked', 'doNotTrack'], ['pre_dnat', 'preDNAT']] as const) {
    const v = own(o, key);
    if (!present(v)) continue;
    if (typeof v !== 'boolean') throw invalid(key, v, 'must be true or false');
    if (v) p[field] = true;
  }
  const ann = own(o, 'annotations');
  if (present(ann)) {
    const a = readObject(ann, 'annotations');
    for (const k of Object.keys(a)) {
      if (typeof a[k] !== 'string') throw invalid(fieldPath('annotations', k), a[k], 'an annotation value must be a string');
    }
    if (Object.keys(a).length) p.annotations = { ...(a as Record<string, string>) };
  }
  return p;
}

function decodeList<T>(o: RawObject, key: string, each: (v: unknown, path: string) => T): T[] {
  const v = own(o, key);
  if (!present(v)) return [];
  const list = readList(v, key);
  // The list was parsed from this value's JSON and belongs to no one else: it is kept as the
  // result while every element is already in decoded form (a canonical address, a name), and
  // copied from the first one that is not.
  let out: T[] | undefined;
  for (let i = 0; i < list.length; i++) {
    const x = list[i];
    const decoded = each(x, fieldPath(key, i));
    if (out === undefined) {
      if (decoded === x) continue;
      out = list.slice(0, i) as T[];
    }
    out.push(decoded);
  }
  return out ?? (list as T[]);
}

const STATE_RE = /^[a-z]{1,32}$/;
const WEP_KEYS = [
  'state', 'name', 'active_instance_id', 'mac', 'profile_ids', 'ipv4_nets', 'ipv6_nets', 'ipv4_nat', 'ipv6_nat',
  'labels', 'ipv4_gateway', 'ipv6_gateway',
];

function decodeNats(o: RawObject, key: string, version: IpVersion, nets: string[]): { int_ip: string; ext_ip: string }[] {
  return decodeList(o, key, (v, p) => {
    const n = readObject(v, p);
    checkKeys(n, ['int_ip', 'ext_ip'], p);
    if (!present(own(n, 'int_ip'))) throw missing(fieldPath(p, 'int_ip'), 'a NAT needs int_ip');
    if (!present(own(n, 'ext_ip'))) throw missing(fieldPath(p, 'ext_ip'), 'a NAT needs ext_ip');
    const int_ip = checkIpAddress(n.int_ip, fieldPath(p, 'int_ip'), version);
    const ext_ip = checkIpAddress(n.ext_ip, fieldPath(p, 'ext_ip'), version);
    if (!nets.some((net) => cidrContains(parseCidr(net)!, parseIpAddress(int_ip)!))) {
      throw invalid(fieldPath(p, 'int_ip'), n.int_ip, `a NAT int_ip must be one of the endpoint's ipv${version}_nets`);
    }
    return { int_ip, ext_ip };
  });
}

function decodeWorkloadEndpoint(raw: unknown): WorkloadEndpointData {
  const o = readObject(raw, '', 'a JSON object');
  checkKeys(o, WEP_KEYS, '');
  if (!present(own(o, 'state'))) throw missing('state', 'an endpoint needs a state');
  const state = readString(o.state, 'state');
  if (!STATE_RE.test(state)) throw invalid('state', state, 'state must be a lower-case word such as active');
  if (!present(own(o, 'name'))) throw missing('name', 'an endpoint needs its interface name');
  const ipv4Nets = decodeList(o, 'ipv4_nets', (v, p) => checkHostNetwork(v, p, 4));
  const ipv6Nets = decodeList(o, 'ipv6_nets', (v, p) => checkHostNetwork(v, p, 6));
  const w: WorkloadEndpointData = {
    state,
    interfaceName: checkInterfaceName(o.name, 'name'),
    profileIds: decodeList(o, 'profile_ids', checkResourceName),
    ipv4Nets,
    ipv6Nets,
    labels: present(own(o, 'labels')) ? checkOwnedLabels(o.labels, 'labels') : {},
  };
  if (present(own(o, 'mac')) && o.mac !== '') w.mac = checkMac(o.mac, 'mac');
  const nat4 = decodeNats(o, 'ipv4_nat', 4, ipv4Nets);
  const nat6 = decodeNats(o, 'ipv6_nat', 6, ipv6Nets);
  if (nat4.length) w.ipv4Nat = nat4;
  if (nat6.length) w.ipv6Nat = nat6;
  if (present(own(o, 'ipv4_gateway')) && o.ipv4_gateway !== '') w.ipv4Gateway = checkIpAddress(o.ipv4_gateway, 'ipv4_gateway', 4);
  if (present(own(o, 'ipv6_gateway')) && o.ipv6_gateway !== '') w.ipv6Gateway = checkIpAddress(o.ipv6_gateway, 'ipv6_gateway', 6);
  if (present(own(o, 'active_instance_id')) && o.active_instance_id !== '') {
    w.activeInstanceId = checkResourceName(o.active_instance_id, 'active_instance_id');
  }
  return w;
}

function decodeHostEndpoint(raw: unknown): HostEndpointData {
  const o = readObject(raw, '', 'a JSON object');
  checkKeys(o, ['name', 'expected_ipv4_addrs', 'expected_ipv6_addrs', 'labels', 'profile_ids'], '');
  const h: HostEndpointData = {
    expectedIpv4Addrs: decodeList(o, 'expected_ipv4_addrs', (v, p) => checkIpAddress(v, p, 4)),
    expectedIpv6Addrs: decodeList(o, 'expected_ipv6_addrs', (v, p) => checkIpAddress(v, p, 6)),
    profileIds: decodeList(o, 'profile_ids', checkResourceName),
    labels: present(own(o, 'labels')) ? checkOwnedLabels(o.labels, 'labels') : {},
  };
  if (present(own(o, 'name')) && o.name !== '') h.interfaceName = checkInterfaceName(o.name, 'name');
  if (h.interfaceName === undefined && !h.expectedIpv4Addrs.length && !h.expectedIpv6Addrs.length) {
    throw missing('name', 'a host endpoint needs an interface name and/or expected addresses');
  }
  return h;
}

/**
 * Decodes and validates the JSON stored under a key. Throws ValidationError
 * naming the key and the field (e.g. `inbound_rules[0].dst_ports[0]`).
 */
export function decodeDatastoreValue(key: DatastoreKey, json: string): DatastoreUpdate {
  try {
    let raw: unknown;
    try {
      raw = JSON.parse(json);
    } catch (e) {
      throw invalid('', json, `not valid JSON: ${e instanceof Error ? e.message : String(e)}`);
    }
    switch (key.kind) {
      case 'profileRules':
        return { ...key, value: decodeProfileRules(raw) };
      case 'profileTags':
        return { ...key, value: checkTags(raw, '') };
      case 'profileLabels':
        return { ...key, value: checkOwnedLabels(raw, '') };
      case 'policy':
        return { ...key, value: decodePolicy(raw) };
      case 'workloadEndpoint':
        return { ...key, value: decodeWorkloadEndpoint(raw) };
      case 'hostEndpoint':
        return { ...key, value: decodeHostEndpoint(raw) };
    }
  } catch (e) {
    // The key is spelled out only for an error message.
    if (e instanceof ValidationError) throw e.in(formatDatastoreKey(key));
    throw e;
  }
}

/** The update for a deleted key. */
export function deletedUpdate(key: DatastoreKey): DatastoreUpdate {
  return { ...key } as DatastoreUpdate;
}

// ---------------------------------------------------------------- records -> resources

function profileFromRecords(
  name: string, rules: ProfileRulesData | undefined, tags: string[] | undefined, labels: Labels | undefined,
): Profile {
  const metadata: Profile['metadata'] = { name };
  const l = labels && nonEmptyMap(labels);
  if (l) metadata.labels = l;
  if (tags && tags.length) metadata.tags = [...tags];
  const spec: Profile['spec'] = {};
  if (rules?.inbound.length) spec.ingress = rules.inbound;
  if (rules?.outbound.length) spec.egress = rules.outbound;
  return { apiVersion: 'v1', kind: 'profile', metadata, spec };
}

function policyFromRecord(name: string, p: PolicyData): Policy {
  const metadata: Policy['metadata'] = { name };
  if (p.annotations && Object.keys(p.annotations).length) metadata.annotations = { ...p.annotations };
  const spec: Policy['spec'] = {};
  if (p.order !== undefined) spec.order = p.order;
  if (p.selector !== '') spec.selector = p.selector;
  if (p.inbound.length) spec.ingress = p.inbound;
  if (p.outbound.length) spec.egress = p.outbound;
  if (p.types?.length) spec.types = [...p.types];
  if (p.doNotTrack) spec.doNotTrack = true;
  if (p.preDNAT) spec.preDNAT = true;
  return { apiVersion: 'v1', kind: 'policy', metadata, spec };
}

function workloadEndpointFromRecord(id: WorkloadEndpointId, w: WorkloadEndpointData): WorkloadEndpoint {
  const metadata: WorkloadEndpoint['metadata'] = {
    name: id.name, node: id.node, orchestrator: id.orchestrator, workload: id.workload,
  };
  if (w.activeInstanceId) metadata.activeInstanceID = w.activeInstanceId;
  const labels = nonEmptyMap(w.labels);
  if (labels) metadata.labels = labels;
  const spec: WorkloadEndpoint['spec'] = { interfaceName: w.interfaceName };
  const nets = [...w.ipv4Nets, ...w.ipv6Nets];
  if (nets.length) spec.ipNetworks = nets;
  const nats = [...(w.ipv4Nat ?? []), ...(w.ipv6Nat ?? [])].map((n) => ({ internalIP: n.int_ip, externalIP: n.ext_ip }));
  if (nats.length) spec.ipNATs = nats;
  if (w.ipv4Gateway !== undefined) spec.ipv4Gateway = w.ipv4Gateway;
  if (w.ipv6Gateway !== undefined) spec.ipv6Gateway = w.ipv6Gateway;
  if (w.mac !== undefined) spec.mac = w.mac;
  if (w.profileIds.length) spec.profiles = [...w.profileIds];
  return { apiVersion: 'v1', kind: 'workloadEndpoint', metadata, spec };
}

function hostEndpointFromRecord(id: HostEndpointId, h: HostEndpointData): HostEndpoint {
  const metadata: HostEndpoint['metadata'] = { name: id.name, node: id.node };
  const labels = nonEmptyMap(h.labels);
  if (labels) metadata.labels = labels;
  const spec: HostEndpoint['spec'] = {};
  if (h.interfaceName !== undefined) spec.interfaceName = h.interfaceName;
  const ips = [...h.expectedIpv4Addrs, ...h.expectedIpv6Addrs];
  if (ips.length) spec.expectedIPs = ips;
  if (h.profileIds.length) spec.profiles = [...h.profileIds];
  return { apiVersion: 'v1', kind: 'hostEndpoint', metadata, spec };
}

/**
 * The resource stored under the given keys (the inverse of resourceToKV).
 * A profile may be given any of its three keys; missing ones read as empty.
 * Throws ValidationError naming the key for a bad value or a key of another kind.
 */
export function kvToResource(kind: ResourceKind, pairs: readonly { key: string; value: string }[]): Resource {
  if (pairs.length === 0) throw missing('key', `no keys given for a ${kind}`);
  const decoded = pairs.map(({ key, value }) => {
    const k = parseDatastoreKey(key);
    if (!k) throw invalid('', key, 'not a datastore key of Tabby\'s layout');
    return decodeDatastoreValue(k, value);
  });
  const wrongKind = (u: DatastoreUpdate): ValidationError =>
    invalid('', formatDatastoreKey(updateKey(u)), `not a key of a ${kind}`);
  switch (kind) {
    case 'profile': {
      let name: string | undefined;
      let rules: ProfileRulesData | undefined;
      let tags: string[] | undefined;
      let labels: Labels | undefined;
      for (const u of decoded) {
        if (u.kind !== 'profileRules' && u.kind !== 'profileTags' && u.kind !== 'profileLabels') throw wrongKind(u);
        if (name !== undefined && u.profile !== name) throw invalid('', formatDatastoreKey(updateKey(u)), `not a key of profile ${name}`);
        name = u.profile;
        if (u.kind === 'profileRules') rules = u.value;
        else if (u.kind === 'profileTags') tags = u.value;
        else labels = u.value;
      }
      return profileFromRecords(name!, rules, tags, labels);
    }
    case 'policy':
    case 'workloadEndpoint':
    case 'hostEndpoint': {
      if (decoded.length !== 1) throw invalid('', pairs.map((p) => p.key), `a ${kind} is stored under one key`);
      const u = decoded[0]!;
      if (u.kind === 'policy' && kind === 'policy') return policyFromRecord(u.name, u.value!);
      if (u.kind === 'workloadEndpoint' && kind === 'workloadEndpoint') return workloadEndpointFromRecord(u.id, u.value!);
      if (u.kind === 'hostEndpoint' && kind === 'hostEndpoint') return hostEndpointFromRecord(u.id, u.value!);
      throw wrongKind(u);
    }
  }
}
