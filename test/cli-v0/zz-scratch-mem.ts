// SCRATCH (not part of the work; deleted before the report).
import type { ResourceStore, ResourceId } from '../../src/datastore/resource-store.js';
import { ResourceExistsError, ResourceNotFoundError } from '../../src/datastore/resource-store.js';
import type { Resource, ResourceKind } from '../../src/model/types.js';
const data = new Map<string, Resource>();
const key = (kind: string, id: ResourceId) => `${kind}/${id.node ?? ''}/${id.orchestrator ?? ''}/${id.workload ?? ''}/${id.name}`;
const idOf = (r: Resource): ResourceId => ({ ...(r.metadata as any) });
export function memStore(): ResourceStore {
  return {
    async get(kind, id) { const r = data.get(key(kind, id)); return r && structuredClone(r); },
    async list(kind) { return [...data.entries()].filter(([k]) => k.startsWith(kind + '/')).sort().map(([, v]) => structuredClone(v)); },
    async create(r) { const k = key(r.kind, idOf(r)); if (data.has(k)) throw new ResourceExistsError(r.kind, idOf(r)); data.set(k, structuredClone(r)); },
    async replace(r) { const k = key(r.kind, idOf(r)); if (!data.has(k)) throw new ResourceNotFoundError(r.kind, idOf(r)); data.set(k, structuredClone(r)); },
    async apply(r) { data.set(key(r.kind, idOf(r)), structuredClone(r)); },
    async delete(kind: ResourceKind, id) { const k = key(kind, id); if (!data.has(k)) throw new ResourceNotFoundError(kind, id); data.delete(k); },
    async update(kind: any, id, edit: any) { const cur = data.get(key(kind, id)); const n = edit(cur && structuredClone(cur)); if (n) data.set(key(kind, id), structuredClone(n)); return n ?? cur; },
    async close() {},
  };
}
