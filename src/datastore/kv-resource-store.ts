// The resource layer over any KVStore: each resource is written under its
// Calico v1 keys (a profile has three) in one transaction, guarded by the
// revisions read just before, so every write is atomic and a concurrent
// change is retried rather than overwritten.
import {
  describeResourceId,
  kvToResource,
  parseDatastoreKey,
  resourceIdentity,
  resourceKeys,
  resourceListPrefix,
  resourceToKV,
  validateResource,
} from '../model/index.js';
import type { DatastoreKey, Resource, ResourceKind } from '../model/types.js';
import { KeyExistsError, KeyNotFoundError, RevisionConflictError, type KVPair, type KVStore, type TxnOp } from './kv.js';
import {
  ResourceExistsError,
  ResourceNotFoundError,
  type ResourceFilter,
  type ResourceId,
  type ResourceStore,
} from './resource-store.js';

/** Attempts of one optimistic write before giving up on a key that keeps changing. */
const MAX_ATTEMPTS = 50;

type WriteMode = 'create' | 'replace' | 'apply';

/** What identifies a resource: its name, and node/orchestrator/workload for endpoints. */
export function resourceIdOf(resource: Resource): ResourceId {
  return resourceIdentity(resource);
}

export function createResourceStore(kv: KVStore): ResourceStore {
  return new KVResourceStore(kv);
}

/** The stored keys of one resource, with their revisions. */
interface StoredResource {
  pairs: KVPair[];
  resource?: Resource;
}

class KVResourceStore implements ResourceStore {
  constructor(private readonly kv: KVStore) {}

  async get(kind: ResourceKind, id: ResourceId): Promise<Resource | undefined> {
    return (await this.read(kind, id)).resource;
  }

  async list(kind: ResourceKind, filter: ResourceFilter = {}): Promise<Resource[]> {
    const { items } = await this.kv.list(resourceListPrefix(kind, filter));
    // Group the keys of each resource (a profile's three keys share a name).
    const groups = new Map<string, KVPair[]>();
    for (const pair of items) {
      const key = parseDatastoreKey(pair.key);
      if (!key || kindOfKey(key) !== kind || !matchesFilter(key, filter)) continue;
      const group = groupOf(key);
      const pairs = groups.get(group);
      if (pairs) pairs.push(pair);
      else groups.set(group, [pair]);
    }
    const resources = [...groups.values()].map((pairs) => kvToResource(kind, pairs));
    return resources.sort(compareForListing);
  }

  create(resource: Resource): Promise<void> {
    return this.write(resource, 'create');
  }

  replace(resource: Resource): Promise<void> {
    return this.write(resource, 'replace');
  }

  apply(resource: Resource): Promise<void> {
    return this.write(resource, 'apply');
  }

  async delete(kind: ResourceKind, id: ResourceId): Promise<void> {
    await this.retrying(async () => {
      const stored = await this.read(kind, id);
      if (stored.pairs.length === 0) throw new ResourceNotFoundError(kind, id);
      await this.kv.txn(stored.pairs.map((p) => ({ op: 'delete', key: p.key, mustExist: true, expectModRevision: p.modRevision })));
    });
  }

  async update<R extends Resource>(
    kind: R['kind'],
    id: ResourceId,
    edit: (current: R | undefined) => R | undefined,
  ): Promise<R | undefined> {
    return this.retrying(async () => {
      const stored = await this.read(kind, id);
      const current = stored.resource as R | undefined;
      const next = edit(current === undefined ? undefined : structuredClone(current));
      if (next === undefined) return current;
      const valid = validForStorage(next);
      if (valid.kind !== kind || !sameId(resourceIdOf(valid), id)) {
        throw new Error(
          `update of ${describeResourceId(kind, id)} returned another resource: ${describeResourceId(valid.kind, resourceIdOf(valid))}`,
        );
      }
      await this.kv.txn(guardedPuts(valid, stored.pairs));
      return valid as R;
    });
  }

  close(): Promise<void> {
    return this.kv.close();
  }

  /** The keys of one resource and the resource they make up (none stored: no resource). */
  private async read(kind: ResourceKind, id: ResourceId): Promise<StoredResource> {
    const wanted = new Set(resourceKeys(kind, id));
    let pairs: KVPair[];
    if (wanted.size === 1) {
      const pair = await this.kv.get([...wanted][0]!);
      pairs = pair ? [pair] : [];
    } else {
      // One list reads a profile's keys at a single revision.
      pairs = (await this.kv.list(resourceListPrefix(kind, { name: id.name }))).items.filter((p) => wanted.has(p.key));
    }
    return pairs.length === 0 ? { pairs } : { pairs, resource: kvToResource(kind, pairs) };
  }

  private async write(resource: Resource, mode: WriteMode): Promise<void> {
    const valid = validForStorage(resource);
    const id = resourceIdOf(valid);
    await this.retrying(async () => {
      const stored = await this.read(valid.kind, id);
      if (mode === 'create' && stored.pairs.length > 0) throw new ResourceExistsError(valid.kind, id);
      if (mode === 'replace' && stored.pairs.length === 0) throw new ResourceNotFoundError(valid.kind, id);
      await this.kv.txn(guardedPuts(valid, stored.pairs));
    });
  }

  /**
   * Runs an optimistic read-then-write until no concurrent change gets in its
   * way. The KV errors below only arise from the guards of our own txn.
   */
  private async retrying<T>(attempt: () => Promise<T>): Promise<T> {
    let lastConflict: Error | undefined;
    for (let i = 0; i < MAX_ATTEMPTS; i++) {
      try {
        return await attempt();
      } catch (err) {
        if (err instanceof KeyExistsError || err instanceof KeyNotFoundError || err instanceof RevisionConflictError) {
          lastConflict = err;
          continue;
        }
        throw err;
      }
    }
    throw lastConflict!;
  }
}

/**
 * Puts for every key of the resource, each guarded by what was read: a key
 * read at revision N is updated only if still at N, a key not read is created
 * only if still absent. Keys read but no longer part of the resource are deleted.
 */
function guardedPuts(resource: Resource, stored: readonly KVPair[]): TxnOp[] {
  const before = new Map(stored.map((p) => [p.key, p]));
  const ops: TxnOp[] = resourceToKV(resource).map(({ key, value }) => {
    const old = before.get(key);
    before.delete(key);
    return old
      ? { op: 'put', key, value, mode: 'update', expectModRevision: old.modRevision }
      : { op: 'put', key, value, mode: 'create' };
  });
  for (const old of before.values()) ops.push({ op: 'delete', key: old.key, mustExist: true, expectModRevision: old.modRevision });
  return ops;
}

/**
 * The resource in normal form, checked as if read from a file: callers other
 * than the CLI (the v0 commands' edits) never write what a file could not hold.
 */
function validForStorage(resource: Resource): Resource {
  return validateResource(structuredClone(resource));
}

function sameId(a: ResourceId, b: ResourceId): boolean {
  return a.name === b.name && (a.node ?? '') === (b.node ?? '') &&
    (a.orchestrator ?? '') === (b.orchestrator ?? '') && (a.workload ?? '') === (b.workload ?? '');
}

function kindOfKey(key: DatastoreKey): ResourceKind | undefined {
  switch (key.kind) {
    case 'profileRules':
    case 'profileTags':
    case 'profileLabels':
      return 'profile';
    case 'policy':
      // Only the default tier holds v1 policies.
      return key.tier === 'default' ? 'policy' : undefined;
    case 'workloadEndpoint':
      return 'workloadEndpoint';
    case 'hostEndpoint':
      return 'hostEndpoint';
  }
}

/** Which keys make up one resource: a profile's keys group by name, the rest stand alone. */
function groupOf(key: DatastoreKey): string {
  switch (key.kind) {
    case 'profileRules':
    case 'profileTags':
    case 'profileLabels':
      return key.profile;
    case 'policy':
      return key.name;
    case 'workloadEndpoint':
      return JSON.stringify([key.id.node, key.id.orchestrator, key.id.workload, key.id.name]);
    case 'hostEndpoint':
      return JSON.stringify([key.id.node, key.id.name]);
  }
}

function matchesFilter(key: DatastoreKey, f: ResourceFilter): boolean {
  const is = (want: string | undefined, have: string): boolean => !want || want === have;
  switch (key.kind) {
    case 'profileRules':
    case 'profileTags':
    case 'profileLabels':
      return is(f.name, key.profile);
    case 'policy':
      return is(f.name, key.name);
    case 'workloadEndpoint':
      return is(f.name, key.id.name) && is(f.node, key.id.node) &&
        is(f.orchestrator, key.id.orchestrator) && is(f.workload, key.id.workload);
    case 'hostEndpoint':
      return is(f.name, key.id.name) && is(f.node, key.id.node);
  }
}

/** Byte order of strings, as Go's sort.Strings (not locale order). */
const compareText = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/**
 * calicoctl get's row order: by name; workload endpoints by workload then
 * name (seed 004 lists them by workload across nodes), then node and
 * orchestrator; host endpoints by node then name.
 */
function listingKey(r: Resource): string[] {
  switch (r.kind) {
    case 'profile':
    case 'policy':
      return [r.metadata.name];
    case 'workloadEndpoint':
      return [r.metadata.workload, r.metadata.name, r.metadata.node, r.metadata.orchestrator];
    case 'hostEndpoint':
      return [r.metadata.node, r.metadata.name];
  }
}

function compareForListing(a: Resource, b: Resource): number {
  const ka = listingKey(a);
  const kb = listingKey(b);
  for (let i = 0; i < ka.length; i++) {
    const c = compareText(ka[i]!, kb[i]!);
    if (c !== 0) return c;
  }
  return 0;
}
