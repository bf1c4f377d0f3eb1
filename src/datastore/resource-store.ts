// The resource layer: calicoctl v1 resources stored under the Calico v1 keys
// (DESIGN.md section 2), the same on every KV backend. The interface is here;
// the implementation over a KVStore is in kv-resource-store.ts.
import type { Resource, ResourceKind } from '../model/types.js';

export { createResourceStore, resourceIdOf } from './kv-resource-store.js';

/** Identifies one resource of a kind; endpoint kinds use node/orchestrator/workload too. */
export interface ResourceId {
  name: string;
  node?: string;
  orchestrator?: string;
  workload?: string;
}

export interface ResourceFilter {
  name?: string;
  node?: string;
  orchestrator?: string;
  workload?: string;
}

export class ResourceExistsError extends Error {
  constructor(public readonly kind: ResourceKind, public readonly id: ResourceId) {
    super(`resource already exists: ${describeResource(kind, id)}`);
    this.name = 'ResourceExistsError';
  }
}
export class ResourceNotFoundError extends Error {
  constructor(public readonly kind: ResourceKind, public readonly id: ResourceId) {
    super(`resource does not exist: ${describeResource(kind, id)}`);
    this.name = 'ResourceNotFoundError';
  }
}

/** calicoctl v1's way of naming a resource in messages, e.g. `Policy(name=foo)`. */
export function describeResource(kind: ResourceKind, id: ResourceId): string {
  switch (kind) {
    case 'profile':
      return `Profile(name=${id.name})`;
    case 'policy':
      return `Policy(name=${id.name})`;
    case 'workloadEndpoint':
      return `WorkloadEndpoint(node=${id.node ?? ''}, orchestrator=${id.orchestrator ?? ''}, workload=${id.workload ?? ''}, name=${id.name})`;
    case 'hostEndpoint':
      return `HostEndpoint(node=${id.node ?? ''}, name=${id.name})`;
  }
}

export interface ResourceStore {
  get(kind: ResourceKind, id: ResourceId): Promise<Resource | undefined>;
  /** Resources of a kind, filtered; sorted as `calicoctl get` prints them. */
  list(kind: ResourceKind, filter?: ResourceFilter): Promise<Resource[]>;
  /** Fails with ResourceExistsError; atomic across the keys of one resource. */
  create(resource: Resource): Promise<void>;
  /** Fails with ResourceNotFoundError. */
  replace(resource: Resource): Promise<void>;
  /** Create or replace. */
  apply(resource: Resource): Promise<void>;
  /** Fails with ResourceNotFoundError. */
  delete(kind: ResourceKind, id: ResourceId): Promise<void>;
  /**
   * Atomic read-modify-write of one resource (the v0 profile commands):
   * `edit` gets the current value (undefined if missing) and returns the new one,
   * or undefined to leave it unchanged. Retries on a concurrent change.
   */
  update<R extends Resource>(kind: R['kind'], id: ResourceId, edit: (current: R | undefined) => R | undefined): Promise<R | undefined>;
  close(): Promise<void>;
}
