// Validation of v1 resources (profile, policy, workloadEndpoint, hostEndpoint).
// Each validator takes untrusted parsed YAML/JSON and returns the resource in
// normal form, or throws a ValidationError naming the field, the value and the
// resource. Normal form: canonical CIDRs/IPs/MACs, ports as numbers or "a:b",
// IPv4 before IPv6 in address lists, and empty lists, maps and strings left
// out (as Go's omitempty would), so that storing and reading back is identity.
import { fieldPath, invalid, missing, safeName, ValidationError } from './errors.js';
import {
  INTERFACE_NAME_RULE, isValidInterfaceName, isValidLabelKey, isValidLabelValue, isValidName,
  isValidResourceName, isValidTag, LABEL_KEY_RULE, LABEL_VALUE_RULE, NAME_RULE, RESOURCE_NAME_RULE, TAG_RULE,
} from './names.js';
import { canonicalMac, cidrContains, isCanonicalIpv4HostNetwork, formatCidr, formatIpAddress, parseCidr, parseIpAddress, type IpVersion } from './net.js';
import { checkKeys, own, present, readBoolean, readList, readObject, readString, setOwn, type RawObject } from './read.js';
import { checkSelector as checkSelectorField, parseRules } from './rules.js';
import type {
  HostEndpoint, HostEndpointMetadata, HostEndpointSpec, IpNat, Policy, PolicyMetadata, PolicySpec, PolicyType,
  Profile, ProfileMetadata, ProfileSpec, Resource, ResourceKind, WorkloadEndpoint, WorkloadEndpointMetadata,
  WorkloadEndpointSpec,
} from './types.js';

export const RESOURCE_KINDS: readonly ResourceKind[] = ['profile', 'policy', 'workloadEndpoint', 'hostEndpoint'];
export const API_VERSION = 'v1';

// ---------------------------------------------------------------- names, labels, addresses

export function checkName(v: unknown, path: string): string {
  const s = readString(v, path);
  if (!isValidName(s)) throw invalid(path, v, `a name ${NAME_RULE}`);
  return s;
}

export function checkResourceName(v: unknown, path: string): string {
  const s = readString(v, path);
  if (!isValidResourceName(s)) throw invalid(path, v, `a name ${RESOURCE_NAME_RULE}`);
  return s;
}

export function checkInterfaceName(v: unknown, path: string): string {
  const s = readString(v, path);
  if (!isValidInterfaceName(s)) throw invalid(path, v, INTERFACE_NAME_RULE);
  return s;
}

/** Labels: keys and values checked; built with own properties only. */
export function checkLabels(v: unknown, path: string): Record<string, string> {
  const o = readObject(v, path);
  checkLabelEntries(o, path);
  const out: Record<string, string> = {};
  for (const key of Object.keys(o)) {
    // Plain assignment makes an own property for every key but "__proto__" (an accessor).
    if (key === '__proto__') setOwn(out, key, o[key] as string);
    else out[key] = o[key] as string;
  }
  return out;
}

/**
 * checkLabels for an object nobody else holds, such as one JSON.parse has just made: the same
 * checks and errors, but an ordinary object (own properties, Object.prototype) is returned
 * itself instead of a copy, saving an object per endpoint at start-up.
 */
export function checkOwnedLabels(v: unknown, path: string): Record<string, string> {
  const o = readObject(v, path);
  if (Object.getPrototypeOf(o) !== Object.prototype) return checkLabels(o, path);
  checkLabelEntries(o, path);
  return o as Record<string, string>;
}

/** Every key a label key and every value a label value, in order, or an error naming the first that is not. */
function checkLabelEntries(o: RawObject, path: string): void {
  for (const key of Object.keys(o)) {
    if (!isValidLabelKey(key)) throw invalid(fieldPath(path, key), key, LABEL_KEY_RULE);
    const value = o[key];
    if (typeof value !== 'string') {
      throw invalid(fieldPath(path, key), value, 'a label value must be a string (quote numbers and booleans)');
    }
    if (!isValidLabelValue(value)) throw invalid(fieldPath(path, key), value, LABEL_VALUE_RULE);
  }
}

/** Tags: names, duplicates dropped, order kept. */
export function checkTags(v: unknown, path: string): string[] {
  const out: string[] = [];
  readList(v, path).forEach((t, i) => {
    const p = fieldPath(path, i);
    const s = readString(t, p);
    if (!isValidTag(s)) throw invalid(p, t, TAG_RULE);
    if (!out.includes(s)) out.push(s);
  });
  return out;
}

/** Annotations never reach the dataplane: keys as label keys, values any string. */
function checkAnnotations(v: unknown, path: string): Record<string, string> {
  const o = readObject(v, path);
  const out: Record<string, string> = {};
  for (const key of Object.keys(o)) {
    const p = fieldPath(path, key);
    if (!isValidLabelKey(key)) throw invalid(p, key, `an annotation key ${LABEL_KEY_RULE.replace(/^a label key /, '')}`);
    const value = o[key];
    if (typeof value !== 'string') throw invalid(p, value, 'an annotation value must be a string');
    setOwn(out, key, value);
  }
  return out;
}

export function checkIpAddress(v: unknown, path: string, version?: IpVersion): string {
  const s = readString(v, path);
  const ip = parseIpAddress(s);
  if (!ip) throw invalid(path, v, 'must be an IP address');
  if (version !== undefined && ip.version !== version) throw invalid(path, v, `must be an IPv${version} address`);
  return formatIpAddress(ip);
}

/** An endpoint address: a /32 (IPv4) or /128 (IPv6) network. */
export function checkHostNetwork(v: unknown, path: string, version?: IpVersion): string {
  const s = readString(v, path);
  if (version !== 6 && isCanonicalIpv4HostNetwork(s)) return s; // already valid and canonical
  const c = parseCidr(s);
  if (!c) throw invalid(path, v, 'must be a network such as 10.0.0.1/32 or fd00::1/128');
  if (c.prefixLength !== (c.version === 4 ? 32 : 128)) throw invalid(path, v, 'must be a /32 (IPv4) or /128 (IPv6) network');
  if (version !== undefined && c.version !== version) throw invalid(path, v, `must be an IPv${version} network`);
  return formatCidr(c);
}

export function checkMac(v: unknown, path: string): string {
  const s = readString(v, path);
  const mac = canonicalMac(s);
  if (mac === undefined) throw invalid(path, v, 'must be a MAC address such as 56:b5:54:be:b2:a2');
  return mac;
}

const v4First = <T>(items: T[], versionOf: (t: T) => IpVersion): T[] => [
  ...items.filter((t) => versionOf(t) === 4),
  ...items.filter((t) => versionOf(t) === 6),
];
const addressVersion = (s: string): IpVersion => (s.includes(':') ? 6 : 4);

// ---------------------------------------------------------------- resource kinds

function readMetadata(o: RawObject, allowed: readonly string[]): RawObject {
  const meta = own(o, 'metadata');
  if (!present(meta)) throw missing('metadata', 'a resource needs metadata with a name');
  const m = readObject(meta, 'metadata');
  checkKeys(m, allowed, 'metadata');
  return m;
}

function readSpec(o: RawObject, allowed: readonly string[], required: boolean, why = ''): RawObject {
  const spec = own(o, 'spec');
  if (!present(spec)) {
    if (required) throw missing('spec', why);
    return {};
  }
  const s = readObject(spec, 'spec');
  checkKeys(s, allowed, 'spec');
  return s;
}

function requiredName(m: RawObject, key: string, check: (v: unknown, p: string) => string): string {
  const v = own(m, key);
  const p = fieldPath('metadata', key);
  if (!present(v) || v === '') throw missing(p, `metadata.${key} is required`);
  return check(v, p);
}

function nonEmpty<T extends object>(o: T): T | undefined {
  return Object.keys(o).length ? o : undefined;
}

function validateProfileBody(o: RawObject): Profile {
  const m = readMetadata(o, ['name', 'labels', 'tags']);
  const metadata: ProfileMetadata = { name: requiredName(m, 'name', checkResourceName) };
  if (present(own(m, 'labels'))) {
    const labels = nonEmpty(checkLabels(m.labels, 'metadata.labels'));
    if (labels) metadata.labels = labels;
  }
  if (present(own(m, 'tags'))) {
    const tags = checkTags(m.tags, 'metadata.tags');
    if (tags.length) metadata.tags = tags;
  }
  const s = readSpec(o, ['ingress', 'egress'], false);
  const spec: ProfileSpec = {};
  for (const dir of ['ingress', 'egress'] as const) {
    if (!present(own(s, dir))) continue;
    const rules = parseRules(s[dir], fieldPath('spec', dir));
    if (rules.length) spec[dir] = rules;
  }
  return { apiVersion: 'v1', kind: 'profile', metadata, spec };
}

const POLICY_TYPES: readonly PolicyType[] = ['ingress', 'egress'];

function validatePolicyBody(o: RawObject): Policy {
  const m = readMetadata(o, ['name', 'annotations']);
  const metadata: PolicyMetadata = { name: requiredName(m, 'name', checkResourceName) };
  if (present(own(m, 'annotations'))) {
    const annotations = nonEmpty(checkAnnotations(m.annotations, 'metadata.annotations'));
    if (annotations) metadata.annotations = annotations;
  }
  const s = readSpec(o, ['order', 'selector', 'ingress', 'egress', 'types', 'doNotTrack', 'preDNAT'], false);
  const spec: PolicySpec = {};
  const order = own(s, 'order');
  if (present(order)) {
    if (typeof order !== 'number' || !Number.isFinite(order)) throw invalid('spec.order', order, 'order must be a number');
    spec.order = order;
  }
  const selector = own(s, 'selector');
  if (present(selector) && selector !== '') spec.selector = checkSelectorField(selector, 'spec.selector');
  for (const dir of ['ingress', 'egress'] as const) {
    if (!present(own(s, dir))) continue;
    const rules = parseRules(s[dir], fieldPath('spec', dir));
    if (rules.length) spec[dir] = rules;
  }
  if (present(own(s, 'types'))) {
    const types: PolicyType[] = [];
    readList(s.types, 'spec.types').forEach((t, i) => {
      const p = fieldPath('spec.types', i);
      if (typeof t !== 'string' || !(POLICY_TYPES as readonly string[]).includes(t)) {
        throw invalid(p, t, 'a policy type must be ingress or egress');
      }
      if (types.includes(t as PolicyType)) throw invalid(p, t, 'policy types must not repeat');
      types.push(t as PolicyType);
    });
    if (types.length) spec.types = types;
  }
  if (present(own(s, 'doNotTrack')) && readBoolean(s.doNotTrack, 'spec.doNotTrack')) spec.doNotTrack = true;
  if (present(own(s, 'preDNAT')) && readBoolean(s.preDNAT, 'spec.preDNAT')) spec.preDNAT = true;
  if (spec.doNotTrack && spec.preDNAT) throw invalid('spec.preDNAT', true, 'preDNAT and doNotTrack cannot both be true');
  if (spec.preDNAT && spec.egress) throw invalid('spec.egress', s.egress, 'a preDNAT policy cannot have egress rules');
  return { apiVersion: 'v1', kind: 'policy', metadata, spec };
}

function checkIpNats(v: unknown, path: string, networks: string[]): IpNat[] {
  const nats = readList(v, path).map((n, i): IpNat => {
    const p = fieldPath(path, i);
    const o = readObject(n, p);
    checkKeys(o, ['internalIP', 'externalIP'], p);
    const intRaw = own(o, 'internalIP');
    const extRaw = own(o, 'externalIP');
    if (!present(intRaw)) throw missing(fieldPath(p, 'internalIP'), 'a NAT needs an internalIP');
    if (!present(extRaw)) throw missing(fieldPath(p, 'externalIP'), 'a NAT needs an externalIP');
    const internalIP = checkIpAddress(intRaw, fieldPath(p, 'internalIP'));
    const externalIP = checkIpAddress(extRaw, fieldPath(p, 'externalIP'), addressVersion(internalIP));
    const ip = parseIpAddress(internalIP)!;
    if (!networks.some((net) => cidrContains(parseCidr(net)!, ip))) {
      throw invalid(fieldPath(p, 'internalIP'), intRaw, 'a NAT internalIP must be one of the endpoint ipNetworks');
    }
    return { internalIP, externalIP };
  });
  return v4First(nats, (n) => addressVersion(n.internalIP));
}

function checkProfileList(v: unknown, path: string): string[] {
  return readList(v, path).map((p, i) => checkResourceName(p, fieldPath(path, i)));
}

function validateWorkloadEndpointBody(o: RawObject): WorkloadEndpoint {
  const m = readMetadata(o, ['name', 'node', 'orchestrator', 'workload', 'labels', 'activeInstanceID']);
  const metadata: WorkloadEndpointMetadata = {
    name: requiredName(m, 'name', checkResourceName),
    node: requiredName(m, 'node', checkName),
    orchestrator: requiredName(m, 'orchestrator', checkResourceName),
    workload: requiredName(m, 'workload', checkResourceName),
  };
  if (present(own(m, 'activeInstanceID')) && m.activeInstanceID !== '') {
    metadata.activeInstanceID = checkResourceName(m.activeInstanceID, 'metadata.activeInstanceID');
  }
  if (present(own(m, 'labels'))) {
    const labels = nonEmpty(checkLabels(m.labels, 'metadata.labels'));
    if (labels) metadata.labels = labels;
  }
  const s = readSpec(
    o, ['interfaceName', 'ipNetworks', 'ipNATs', 'ipv4Gateway', 'ipv6Gateway', 'mac', 'profiles'], true,
    'a workloadEndpoint needs a spec with an interfaceName',
  );
  const iface = own(s, 'interfaceName');
  if (!present(iface) || iface === '') throw missing('spec.interfaceName', 'a workloadEndpoint needs an interfaceName');
  const spec: WorkloadEndpointSpec = { interfaceName: checkInterfaceName(iface, 'spec.interfaceName') };
  let networks: string[] = [];
  if (present(own(s, 'ipNetworks'))) {
    networks = v4First(
      readList(s.ipNetworks, 'spec.ipNetworks').map((n, i) => checkHostNetwork(n, fieldPath('spec.ipNetworks', i))),
      addressVersion,
    );
    if (networks.length) spec.ipNetworks = networks;
  }
  if (present(own(s, 'ipNATs'))) {
    const nats = checkIpNats(s.ipNATs, 'spec.ipNATs', networks);
    if (nats.length) spec.ipNATs = nats;
  }
  if (present(own(s, 'ipv4Gateway')) && s.ipv4Gateway !== '') spec.ipv4Gateway = checkIpAddress(s.ipv4Gateway, 'spec.ipv4Gateway', 4);
  if (present(own(s, 'ipv6Gateway')) && s.ipv6Gateway !== '') spec.ipv6Gateway = checkIpAddress(s.ipv6Gateway, 'spec.ipv6Gateway', 6);
  if (present(own(s, 'mac')) && s.mac !== '') spec.mac = checkMac(s.mac, 'spec.mac');
  if (present(own(s, 'profiles'))) {
    const profiles = checkProfileList(s.profiles, 'spec.profiles');
    if (profiles.length) spec.profiles = profiles;
  }
  return { apiVersion: 'v1', kind: 'workloadEndpoint', metadata, spec };
}

function validateHostEndpointBody(o: RawObject): HostEndpoint {
  const m = readMetadata(o, ['name', 'node', 'labels']);
  const metadata: HostEndpointMetadata = {
    name: requiredName(m, 'name', checkResourceName),
    node: requiredName(m, 'node', checkName),
  };
  if (present(own(m, 'labels'))) {
    const labels = nonEmpty(checkLabels(m.labels, 'metadata.labels'));
    if (labels) metadata.labels = labels;
  }
  const why = 'a hostEndpoint needs a spec with an interfaceName and/or expectedIPs';
  const s = readSpec(o, ['interfaceName', 'expectedIPs', 'profiles'], true, why);
  const spec: HostEndpointSpec = {};
  if (present(own(s, 'interfaceName')) && s.interfaceName !== '') {
    spec.interfaceName = checkInterfaceName(s.interfaceName, 'spec.interfaceName');
  }
  if (present(own(s, 'expectedIPs'))) {
    const ips = v4First(
      readList(s.expectedIPs, 'spec.expectedIPs').map((ip, i) => checkIpAddress(ip, fieldPath('spec.expectedIPs', i))),
      addressVersion,
    );
    if (ips.length) spec.expectedIPs = ips;
  }
  if (spec.interfaceName === undefined && spec.expectedIPs === undefined) throw missing('spec.interfaceName', why);
  if (present(own(s, 'profiles'))) {
    const profiles = checkProfileList(s.profiles, 'spec.profiles');
    if (profiles.length) spec.profiles = profiles;
  }
  return { apiVersion: 'v1', kind: 'hostEndpoint', metadata, spec };
}

// ---------------------------------------------------------------- entry points

/**
 * How messages name a resource, as calicoctl does (`Policy(name=foo)`);
 * identifiers that are not plain text are JSON-quoted.
 */
export function describeResourceId(
  kind: ResourceKind,
  id: { name?: unknown; node?: unknown; orchestrator?: unknown; workload?: unknown },
): string {
  const show = (v: unknown): string => (typeof v === 'string' ? safeName(v) : '');
  switch (kind) {
    case 'profile':
      return `Profile(name=${show(id.name)})`;
    case 'policy':
      return `Policy(name=${show(id.name)})`;
    case 'workloadEndpoint':
      return `WorkloadEndpoint(node=${show(id.node)}, orchestrator=${show(id.orchestrator)}, workload=${show(id.workload)}, name=${show(id.name)})`;
    case 'hostEndpoint':
      return `HostEndpoint(node=${show(id.node)}, name=${show(id.name)})`;
  }
}

const BODY_VALIDATORS: Record<ResourceKind, (o: RawObject) => Resource> = {
  profile: validateProfileBody,
  policy: validatePolicyBody,
  workloadEndpoint: validateWorkloadEndpointBody,
  hostEndpoint: validateHostEndpointBody,
};

export function isResourceKind(k: unknown): k is ResourceKind {
  return typeof k === 'string' && (RESOURCE_KINDS as readonly string[]).includes(k);
}

/**
 * Validates one resource document (`apiVersion: v1`, a kind, metadata, spec)
 * and returns it in normal form. `where` names it in errors when its own
 * identity is unknown (e.g. "resource 2 of the input").
 */
export function validateResource(raw: unknown, where?: string): Resource {
  let label = where;
  try {
    const o = readObject(raw, '', 'a resource: a mapping with apiVersion, kind, metadata and spec');
    checkKeys(o, ['apiVersion', 'kind', 'metadata', 'spec'], '');
    const kind = own(o, 'kind');
    if (!present(kind)) throw missing('kind', `kind must be one of ${RESOURCE_KINDS.join(', ')}`);
    if (!isResourceKind(kind)) throw invalid('kind', kind, `kind must be one of ${RESOURCE_KINDS.join(', ')}`);
    const meta = own(o, 'metadata');
    if (isPlainMeta(meta) && typeof meta.name === 'string') label = describeResourceId(kind, meta);
    const version = own(o, 'apiVersion');
    if (!present(version)) throw missing('apiVersion', `apiVersion must be "${API_VERSION}"`);
    if (version !== API_VERSION) throw invalid('apiVersion', version, `apiVersion must be "${API_VERSION}"`);
    return BODY_VALIDATORS[kind](o);
  } catch (e) {
    if (e instanceof ValidationError && label !== undefined) throw e.in(label);
    throw e;
  }
}

function isPlainMeta(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Validates a resource that must be of the given kind. */
export function validateResourceOfKind<K extends ResourceKind>(kind: K, raw: unknown, where?: string): Extract<Resource, { kind: K }> {
  const r = validateResource(raw, where);
  if (r.kind !== kind) {
    throw invalid('kind', r.kind, `expected kind ${kind}`).in(where ?? describeResourceId(r.kind, r.metadata));
  }
  return r as Extract<Resource, { kind: K }>;
}

export const validateProfile = (raw: unknown, where?: string): Profile => validateResourceOfKind('profile', raw, where);
export const validatePolicy = (raw: unknown, where?: string): Policy => validateResourceOfKind('policy', raw, where);
export const validateWorkloadEndpoint = (raw: unknown, where?: string): WorkloadEndpoint =>
  validateResourceOfKind('workloadEndpoint', raw, where);
export const validateHostEndpoint = (raw: unknown, where?: string): HostEndpoint =>
  validateResourceOfKind('hostEndpoint', raw, where);
