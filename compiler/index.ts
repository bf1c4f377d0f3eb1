// The compiler's public surface.
export { compileRuleset } from './compile.js';
export {
  renderRestore,
  renderRestoreNoflush,
  renderIpsetRestore,
  chainDeclaration,
  chainRuleLines,
  chainDeleteLine,
  hookInsertLine,
  hookDeleteLine,
  ipSetCreateLine,
  ipSetAddLines,
  type NoflushOptions,
} from './restore.js';
export {
  DEFAULT_COMPILER_CONFIG,
  DEFAULT_MARK_MASK,
  marksFromMask,
  parseMarkMask,
  resolveCompilerConfig,
  type CompilerConfig,
  type EndpointToHostAction,
} from './config.js';
export { CompileError } from './errors.js';
export {
  ipSetName,
  lengthLimitedName,
  policyChainName,
  profileChainName,
  endpointChainName,
  MAX_CHAIN_NAME_LENGTH,
  MAX_IPSET_NAME_LENGTH,
} from './names.js';
export { formatMember, ipSetMaxElem, ipSetMembers } from './ipsets.js';
export { HASH_LENGTH } from './iptables/chain.js';
export type * from './ruleset.js';
export type * from './desired-state.js';
