// The match builder: each method appends one validated iptables match
// fragment and returns a new (immutable) criteria object, so a partly built
// match can be shared and extended, as Felix's MatchCriteria is.
import { formatCidr, parseCidr } from '../../src/model/net.js';
import type { Protocol } from '../../src/model/types.js';
import { CompileError } from '../errors.js';
import { formatPortRange, MULTIPORT_SLOTS, portSlots, type PortRange } from './ports.js';

/** Protocol names iptables knows without /etc/protocols, with their numbers. */
export const PROTOCOL_NUMBERS: Readonly<Record<string, number>> = Object.freeze({
  icmp: 1,
  tcp: 6,
  udp: 17,
  icmpv6: 58,
  sctp: 132,
  udplite: 136,
});

/** Protocols multiport can match ports of. */
const PORT_PROTOCOLS = new Set([6, 17, 132, 136]);

export type ConntrackState = 'RELATED,ESTABLISHED' | 'INVALID';

/** A protocol's number, or a CompileError naming the field. */
export function protocolNumber(p: Protocol, field = 'protocol'): number {
  if (typeof p === 'number') {
    if (Number.isInteger(p) && p >= 1 && p <= 255) return p;
  } else if (typeof p === 'string') {
    const byName = PROTOCOL_NUMBERS[p.toLowerCase()];
    if (byName !== undefined && Object.prototype.hasOwnProperty.call(PROTOCOL_NUMBERS, p.toLowerCase())) return byName;
    if (/^[0-9]{1,3}$/.test(p) && Number(p) >= 1 && Number(p) <= 255) return Number(p);
  }
  throw new CompileError(field, p, 'is not a protocol (tcp, udp, icmp, icmpv6, sctp, udplite or 1-255)');
}

export const protocolHasPorts = (p: Protocol): boolean => PORT_PROTOCOLS.has(protocolNumber(p));

/** How the protocol is written: the lower-case name if it has one, else the number. */
function protocolText(p: Protocol): string {
  const n = protocolNumber(p);
  if (typeof p === 'string' && Object.prototype.hasOwnProperty.call(PROTOCOL_NUMBERS, p.toLowerCase())) return p.toLowerCase();
  return String(n);
}

const IFACE_RE = /^[a-zA-Z0-9_-]{1,15}$/;
const IFACE_PREFIX_RE = /^[a-zA-Z0-9_-]{1,14}\+$/;
const IPSET_NAME_RE = /^[a-zA-Z0-9][a-zA-Z0-9_.:-]{0,30}$/;

function checkIface(name: string): string {
  if (typeof name !== 'string' || !(IFACE_RE.test(name) || IFACE_PREFIX_RE.test(name))) {
    throw new CompileError('interface', name, 'is not an interface name (1-15 characters of [a-zA-Z0-9_-], optionally ending in +)');
  }
  return name;
}

function checkIpSetName(name: string): string {
  if (typeof name !== 'string' || !IPSET_NAME_RE.test(name)) {
    throw new CompileError('ipset', name, 'is not an IP set name');
  }
  return name;
}

function checkCidr(cidr: string): string {
  const c = parseCidr(cidr, { allowBareAddress: true });
  if (!c) throw new CompileError('net', cidr, 'is not a CIDR');
  return formatCidr(c);
}

function checkByte(n: number, field: string): number {
  if (!Number.isInteger(n) || n < 0 || n > 255) throw new CompileError(field, n, 'must be an integer from 0 to 255');
  return n;
}

function checkMark(bits: number): string {
  if (!Number.isInteger(bits) || bits <= 0 || bits > 0xffffffff) throw new CompileError('mark', bits, 'is not a 32-bit mark');
  return hex(bits);
}

/** `0x10000`, as iptables prints marks. */
export const hex = (n: number): string => `0x${(n >>> 0).toString(16)}`;

function portsText(ports: readonly PortRange[]): string {
  if (ports.length === 0) throw new CompileError('ports', ports, 'must not be empty');
  const slots = ports.reduce((s, p) => s + portSlots(p), 0);
  if (slots > MULTIPORT_SLOTS) throw new CompileError('ports', ports.map(formatPortRange), `need ${slots} multiport slots (at most ${MULTIPORT_SLOTS})`);
  return ports.map(formatPortRange).join(',');
}

// ICMP type 255 is iptables' wildcard: `--icmp-type 255` matches every ICMP
// packet (iptables-save prints it as `any`). Calico accepts types 0-254 only.
const MAX_ICMP_TYPE = 254;

function icmpText(type: number, code: number | undefined): string {
  if (!Number.isInteger(type) || type < 0 || type > MAX_ICMP_TYPE) {
    throw new CompileError('icmpType', type, `must be an integer from 0 to ${MAX_ICMP_TYPE} (iptables reads 255 as any type)`);
  }
  return code === undefined ? `${type}` : `${type}/${checkByte(code, 'icmpCode')}`;
}

export class MatchCriteria {
  private constructor(readonly fragments: readonly string[]) {}

  static empty(): MatchCriteria {
    return new MatchCriteria([]);
  }

  private with(fragment: string): MatchCriteria {
    return new MatchCriteria([...this.fragments, fragment]);
  }

  get isEmpty(): boolean {
    return this.fragments.length === 0;
  }

  /** The match as iptables arguments (empty string for "everything"). */
  render(): string {
    return this.fragments.join(' ');
  }

  conntrackState(state: ConntrackState): MatchCriteria {
    if (state !== 'RELATED,ESTABLISHED' && state !== 'INVALID') throw new CompileError('ctstate', state, 'is not supported');
    return this.with(`-m conntrack --ctstate ${state}`);
  }

  protocol(p: Protocol): MatchCriteria {
    return this.with(`-p ${protocolText(p)}`);
  }
  notProtocol(p: Protocol): MatchCriteria {
    return this.with(`! -p ${protocolText(p)}`);
  }

  inInterface(name: string): MatchCriteria {
    return this.with(`-i ${checkIface(name)}`);
  }
  outInterface(name: string): MatchCriteria {
    return this.with(`-o ${checkIface(name)}`);
  }

  sourceNet(cidr: string): MatchCriteria {
    return this.with(`-s ${checkCidr(cidr)}`);
  }
  notSourceNet(cidr: string): MatchCriteria {
    return this.with(`! -s ${checkCidr(cidr)}`);
  }
  destNet(cidr: string): MatchCriteria {
    return this.with(`-d ${checkCidr(cidr)}`);
  }
  notDestNet(cidr: string): MatchCriteria {
    return this.with(`! -d ${checkCidr(cidr)}`);
  }

  sourceIpSet(name: string): MatchCriteria {
    return this.with(`-m set --match-set ${checkIpSetName(name)} src`);
  }
  notSourceIpSet(name: string): MatchCriteria {
    return this.with(`-m set ! --match-set ${checkIpSetName(name)} src`);
  }
  destIpSet(name: string): MatchCriteria {
    return this.with(`-m set --match-set ${checkIpSetName(name)} dst`);
  }
  notDestIpSet(name: string): MatchCriteria {
    return this.with(`-m set ! --match-set ${checkIpSetName(name)} dst`);
  }

  /** Ports or ranges (at most 15 slots); needs a tcp/udp/sctp/udplite protocol match before it. */
  sourcePorts(ports: readonly PortRange[]): MatchCriteria {
    return this.with(`-m multiport --source-ports ${portsText(ports)}`);
  }
  notSourcePorts(ports: readonly PortRange[]): MatchCriteria {
    return this.with(`-m multiport ! --source-ports ${portsText(ports)}`);
  }
  destPorts(ports: readonly PortRange[]): MatchCriteria {
    return this.with(`-m multiport --destination-ports ${portsText(ports)}`);
  }
  notDestPorts(ports: readonly PortRange[]): MatchCriteria {
    return this.with(`-m multiport ! --destination-ports ${portsText(ports)}`);
  }

  /** ICMP (IPv4) type, or type/code. */
  icmpType(type: number, code?: number): MatchCriteria {
    return this.with(`-m icmp --icmp-type ${icmpText(type, code)}`);
  }
  notIcmpType(type: number, code?: number): MatchCriteria {
    return this.with(`-m icmp ! --icmp-type ${icmpText(type, code)}`);
  }
  /** ICMPv6 type, or type/code. */
  icmpV6Type(type: number, code?: number): MatchCriteria {
    return this.with(`-m icmp6 --icmpv6-type ${icmpText(type, code)}`);
  }
  notIcmpV6Type(type: number, code?: number): MatchCriteria {
    return this.with(`-m icmp6 ! --icmpv6-type ${icmpText(type, code)}`);
  }

  /** The given mark bits are all clear. */
  markClear(bits: number): MatchCriteria {
    return this.with(`-m mark --mark 0/${checkMark(bits)}`);
  }
  /** The given single mark bit is set. */
  markSingleBitSet(bit: number): MatchCriteria {
    const b = checkMark(bit);
    return this.with(`-m mark --mark ${b}/${b}`);
  }
}

/** Start a match: `match().protocol('tcp').destPorts([...]).sourceIpSet(name)`. */
export const match = (): MatchCriteria => MatchCriteria.empty();
