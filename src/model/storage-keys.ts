// Calico v1 datastore keys (DESIGN.md section 2): the prefixes, the escaping
// of key segments, and the mapping between key strings, DatastoreKey and the
// identity of a resource.
import { missing } from './errors.js';
import { isValidName, isValidResourceName } from './names.js';
import type { DatastoreKey, Resource, ResourceKind } from './types.js';

export const CALICO_PREFIX = '/calico/v1/';
export const PROFILES_PREFIX = `${CALICO_PREFIX}policy/profile/`;
export const TIERS_PREFIX = `${CALICO_PREFIX}policy/tier/`;
export const DEFAULT_TIER = 'default';
export const POLICIES_PREFIX = `${TIERS_PREFIX}${DEFAULT_TIER}/policy/`;
export const HOSTS_PREFIX = `${CALICO_PREFIX}host/`;

// ---------------------------------------------------------------- keys

/** A key segment: `%` is written `%25` and `/` is written `%2f`. */
export function escapeKeySegment(s: string): string {
  if (!s.includes('%') && !s.includes('/')) return s;
  return s.replace(/%/g, '%25').replace(/\//g, '%2f');
}

/** Inverse of escapeKeySegment; undefined for any other `%` sequence or an empty segment. */
export function unescapeKeySegment(s: string): string | undefined {
  if (s === '') return undefined;
  if (!s.includes('%')) return s; // the common case: nothing to unescape
  let out = '';
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    if (c !== '%') {
      out += c;
      continue;
    }
    const esc = s.slice(i, i + 3).toLowerCase();
    if (esc === '%25') out += '%';
    else if (esc === '%2f') out += '/';
    else return undefined;
    i += 2;
  }
  return out;
}

const esc = escapeKeySegment;

export function formatDatastoreKey(key: DatastoreKey): string {
  switch (key.kind) {
    case 'profileRules':
      return `${PROFILES_PREFIX}${esc(key.profile)}/rules`;
    case 'profileTags':
      return `${PROFILES_PREFIX}${esc(key.profile)}/tags`;
    case 'profileLabels':
      return `${PROFILES_PREFIX}${esc(key.profile)}/labels`;
    case 'policy':
      return `${TIERS_PREFIX}${esc(key.tier)}/policy/${esc(key.name)}`;
    case 'workloadEndpoint': {
      const { node, orchestrator, workload, name } = key.id;
      return `${HOSTS_PREFIX}${esc(node)}/workload/${esc(orchestrator)}/${esc(workload)}/endpoint/${esc(name)}`;
    }
    case 'hostEndpoint':
      return `${HOSTS_PREFIX}${esc(key.id.node)}/endpoint/${esc(key.id.name)}`;
  }
}

/**
 * The DatastoreKey a key string describes; undefined for keys outside Tabby's
 * layout (other Calico keys such as tier metadata or host config) and for keys
 * whose names are invalid (they can never have been written by Tabby).
 */
export function parseDatastoreKey(key: string): DatastoreKey | undefined {
  if (typeof key !== 'string' || !key.startsWith(CALICO_PREFIX)) return undefined;
  const raw = key.slice(CALICO_PREFIX.length).split('/');
  let segs = raw;
  if (key.includes('%')) {
    segs = [];
    for (const r of raw) {
      const s = unescapeKeySegment(r);
      if (s === undefined) return undefined;
      segs.push(s);
    }
  } else if (raw.includes('')) {
    return undefined; // an empty segment names nothing
  }
  // Indexed reads rather than array destructuring, which runs the iterator protocol.
  const n = segs.length;
  const a = segs[0], b = segs[1], c = segs[2], d = segs[3], e = segs[4], f = segs[5], g = segs[6];
  if (a === 'policy' && b === 'profile' && n === 4 && isValidResourceName(c!)) {
    if (d === 'rules') return { kind: 'profileRules', profile: c! };
    if (d === 'tags') return { kind: 'profileTags', profile: c! };
    if (d === 'labels') return { kind: 'profileLabels', profile: c! };
    return undefined;
  }
  if (a === 'policy' && b === 'tier' && n === 5 && d === 'policy' && isValidName(c!) && isValidResourceName(e!)) {
    return { kind: 'policy', tier: c!, name: e! };
  }
  // host/<node>/endpoint/<name>
  if (a === 'host' && n === 4 && c === 'endpoint' && isValidName(b!) && isValidResourceName(d!)) {
    return { kind: 'hostEndpoint', id: { node: b!, name: d! } };
  }
  // host/<node>/workload/<orchestrator>/<workload>/endpoint/<name>
  if (
    a === 'host' && n === 7 && c === 'workload' && f === 'endpoint' && isValidName(b!) &&
    isValidResourceName(d!) && isValidResourceName(e!) && isValidResourceName(g!)
  ) {
    return { kind: 'workloadEndpoint', id: { node: b!, orchestrator: d!, workload: e!, name: g! } };
  }
  return undefined;
}

/** What identifies one resource (the same shape as the datastore's ResourceId). */
export interface ResourceIdentity {
  name: string;
  node?: string;
  orchestrator?: string;
  workload?: string;
}

export function resourceIdentity(r: Resource): ResourceIdentity {
  switch (r.kind) {
    case 'profile':
    case 'policy':
      return { name: r.metadata.name };
    case 'workloadEndpoint': {
      const { name, node, orchestrator, workload } = r.metadata;
      return { name, node, orchestrator, workload };
    }
    case 'hostEndpoint':
      return { name: r.metadata.name, node: r.metadata.node };
  }
}

function needId(kind: ResourceKind, id: ResourceIdentity, field: 'node' | 'orchestrator' | 'workload'): string {
  const v = id[field];
  if (v === undefined || v === '') throw missing(field, `a ${kind} is identified by node, ${kind === 'workloadEndpoint' ? 'orchestrator, workload, ' : ''}and name`);
  return v;
}

/** Every datastore key of one resource (a profile has three). */
export function resourceKeys(kind: ResourceKind, id: ResourceIdentity): string[] {
  switch (kind) {
    case 'profile':
      return (['profileRules', 'profileTags', 'profileLabels'] as const).map((k) =>
        formatDatastoreKey({ kind: k, profile: id.name }));
    case 'policy':
      return [formatDatastoreKey({ kind: 'policy', tier: DEFAULT_TIER, name: id.name })];
    case 'workloadEndpoint':
      return [formatDatastoreKey({
        kind: 'workloadEndpoint',
        id: {
          node: needId(kind, id, 'node'), orchestrator: needId(kind, id, 'orchestrator'),
          workload: needId(kind, id, 'workload'), name: id.name,
        },
      })];
    case 'hostEndpoint':
      return [formatDatastoreKey({ kind: 'hostEndpoint', id: { node: needId(kind, id, 'node'), name: id.name } })];
  }
}

/**
 * The narrowest key prefix under which the resources of a kind matching the
 * filter live. Keys under it may still be of other kinds or not match every
 * filter field: callers parse each key and filter.
 */
export function resourceListPrefix(kind: ResourceKind, filter: Partial<ResourceIdentity> = {}): string {
  switch (kind) {
    case 'profile':
      return filter.name ? `${PROFILES_PREFIX}${esc(filter.name)}/` : PROFILES_PREFIX;
    case 'policy':
      return filter.name ? `${POLICIES_PREFIX}${esc(filter.name)}` : POLICIES_PREFIX;
    case 'workloadEndpoint': {
      if (!filter.node) return HOSTS_PREFIX;
      let p = `${HOSTS_PREFIX}${esc(filter.node)}/workload/`;
      if (!filter.orchestrator) return p;
      p += `${esc(filter.orchestrator)}/`;
      if (!filter.workload) return p;
      p += `${esc(filter.workload)}/endpoint/`;
      return filter.name ? `${p}${esc(filter.name)}` : p;
    }
    case 'hostEndpoint':
      if (!filter.node) return HOSTS_PREFIX;
      return `${HOSTS_PREFIX}${esc(filter.node)}/endpoint/${filter.name ? esc(filter.name) : ''}`;
  }
}
