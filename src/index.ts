// Tabby as a library: the selector language, the resource model and the
// datastore, for programs that want Calico semantics without the CLI.
export { parseSelector, SelectorParseError } from './selector/index.js';
export type { Selector, LabelRestriction } from './selector/types.js';
export type {
  Labels,
  Action,
  Protocol,
  Port,
  EntityRule,
  IcmpMatch,
  Rule,
  PolicyType,
  Profile,
  ProfileMetadata,
  ProfileSpec,
  Policy,
  PolicyMetadata,
  PolicySpec,
  WorkloadEndpoint,
  WorkloadEndpointMetadata,
  WorkloadEndpointSpec,
  HostEndpoint,
  HostEndpointMetadata,
  HostEndpointSpec,
  Resource,
  ResourceKind,
} from './model/types.js';
export { parseResources, validateResource, ValidationError } from './model/index.js';
export { openDatastore } from './datastore/open.js';
export type { KVStore } from './datastore/kv.js';
