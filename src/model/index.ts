// The public API of the data model: domain types, validation, parsing of
// calicoctl v1 input, and the Calico v1 storage codec.
export * from './types.js';
export * from './errors.js';
export * from './names.js';
export * from './net.js';
export * from './rules.js';
export * from './rule-storage.js';
export * from './validation.js';
export * from './parse.js';
export * from './storage.js';
