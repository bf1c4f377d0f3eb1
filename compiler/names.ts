// Every name Tabby gives a chain or an IP set. User-chosen names (policies,
// profiles) appear in a chain name only when they are plainly safe and short
// enough; anything else is replaced by a hash, so no user text reaches
// iptables except as [a-zA-Z0-9_.-] starting alphanumeric.
import { createHash } from 'node:crypto';
import { CompileError } from './errors.js';

export const MAX_CHAIN_NAME_LENGTH = 28;
export const MAX_IPSET_NAME_LENGTH = 31;

export const CHAIN_PREFIX = 'cali-';
export const CHAIN_INPUT = 'cali-INPUT';
export const CHAIN_FORWARD = 'cali-FORWARD';
export const CHAIN_OUTPUT = 'cali-OUTPUT';
export const CHAIN_WL_TO_HOST = 'cali-wl-to-host';
export const CHAIN_FROM_WL_DISPATCH = 'cali-from-wl-dispatch';
export const CHAIN_TO_WL_DISPATCH = 'cali-to-wl-dispatch';

export const POLICY_INBOUND_PREFIX = 'cali-pi-';
export const POLICY_OUTBOUND_PREFIX = 'cali-po-';
export const PROFILE_INBOUND_PREFIX = 'cali-pri-';
export const PROFILE_OUTBOUND_PREFIX = 'cali-pro-';
/** To workload (ingress policy). */
export const TO_WORKLOAD_PREFIX = 'cali-tw-';
/** From workload (egress policy). */
export const FROM_WORKLOAD_PREFIX = 'cali-fw-';

/** A name that may appear verbatim after a prefix: starts alphanumeric, then [a-zA-Z0-9_.-]. */
const VERBATIM_RE = /^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/;

/**
 * prefix + name when that is at most maxLength characters and the name is
 * plainly safe; otherwise prefix + "_" + base64url(sha256(name)) cut to
 * maxLength. Verbatim names never start with "_", so they cannot collide
 * with hashed ones.
 */
export function lengthLimitedName(prefix: string, name: string, maxLength = MAX_CHAIN_NAME_LENGTH): string {
  if (prefix.length + 2 > maxLength) throw new CompileError('prefix', prefix, `leaves no room for a name within ${maxLength} characters`);
  if (prefix.length + name.length <= maxLength && VERBATIM_RE.test(name)) return prefix + name;
  const hash = createHash('sha256').update(name, 'utf8').digest('base64url');
  return (prefix + '_' + hash).slice(0, maxLength);
}

export type Direction = 'inbound' | 'outbound';

export const policyChainName = (dir: Direction, policy: string): string =>
  lengthLimitedName(dir === 'inbound' ? POLICY_INBOUND_PREFIX : POLICY_OUTBOUND_PREFIX, policy);

export const profileChainName = (dir: Direction, profile: string): string =>
  lengthLimitedName(dir === 'inbound' ? PROFILE_INBOUND_PREFIX : PROFILE_OUTBOUND_PREFIX, profile);

const IFACE_RE = /^[a-zA-Z0-9_-]{1,15}$/;

/** Interface names are validated, never hashed: 1-15 characters of [a-zA-Z0-9_-]. */
export function checkInterfaceName(iface: string, field = 'interfaceName'): string {
  if (typeof iface !== 'string' || !IFACE_RE.test(iface)) {
    throw new CompileError(field, iface, 'is not an interface name (1-15 characters of [a-zA-Z0-9_-])');
  }
  return iface;
}

/** `cali-tw-<iface>` (ingress policy of the workload) or `cali-fw-<iface>` (egress). */
export const endpointChainName = (toWorkload: boolean, iface: string): string =>
  lengthLimitedName(toWorkload ? TO_WORKLOAD_PREFIX : FROM_WORKLOAD_PREFIX, checkInterfaceName(iface));

/** IP set ids come from Selector.uniqueId(): "s:" + unpadded base64url. */
const IPSET_ID_RE = /^s:[A-Za-z0-9_-]{1,64}$/;

export function checkIpSetId(id: string, field = 'ipSetId'): string {
  if (typeof id !== 'string' || !IPSET_ID_RE.test(id)) {
    throw new CompileError(field, id, 'is not an IP set id ("s:" + base64url)');
  }
  return id;
}

/** `cali40` / `cali60` + id, cut to 31 characters (Felix's NameForMainIPSet). */
export function ipSetName(ipVersion: 4 | 6, id: string): string {
  return (`cali${ipVersion}0` + checkIpSetId(id)).slice(0, MAX_IPSET_NAME_LENGTH);
}
