// Strict parsing and canonical printing of IP addresses, CIDRs and MACs.
// Only the textual forms Go's net package accepts (dotted-quad IPv4 without
// leading zeros, RFC 4291 IPv6 without zones); CIDRs are canonicalised as
// Calico does: host bits are masked off (10.1.2.3/8 reads as 10.0.0.0/8).

export type IpVersion = 4 | 6;

export interface IpAddress {
  version: IpVersion;
  /** 4 bytes for IPv4, 16 for IPv6. */
  bytes: Uint8Array;
}

export interface Cidr extends IpAddress {
  prefixLength: number;
}

/**
 * Scans a dotted quad in text[start, end): four decimal octets 0-255 without leading zeros.
 * Returns the address as an unsigned 32-bit number, or -1. A character scan without
 * allocation, as this runs for every address of every endpoint at start-up.
 */
function scanIpv4(text: string, start: number, end: number): number {
  let value = 0;
  let part = 0;
  let n = 0;
  let digits = 0;
  for (let i = start; i < end; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x2e /* . */) {
      if (digits === 0 || part === 3) return -1;
      value = value * 256 + n;
      part++;
      n = 0;
      digits = 0;
      continue;
    }
    if (c < 0x30 || c > 0x39) return -1;
    if (digits > 0 && n === 0) return -1; // a leading zero
    n = n * 10 + (c - 0x30);
    digits++;
    if (n > 255) return -1;
  }
  if (part !== 3 || digits === 0) return -1;
  return value * 256 + n;
}

function parseIpv4Bytes(text: string): Uint8Array | undefined {
  const v = scanIpv4(text, 0, text.length);
  return v < 0 ? undefined : Uint8Array.of(v >>> 24, (v >>> 16) & 0xff, (v >>> 8) & 0xff, v & 0xff);
}

function parseIpv6Bytes(text: string): Uint8Array | undefined {
  if (text.length > 45) return undefined;
  let words: number[] = [];
  let tail = text;
  // An embedded IPv4 address may end the text (::ffff:1.2.3.4).
  let v4: Uint8Array | undefined;
  if (text.includes('.')) {
    const cut = text.lastIndexOf(':');
    if (cut < 0) return undefined;
    v4 = parseIpv4Bytes(text.slice(cut + 1));
    if (!v4) return undefined;
    tail = text.slice(0, cut + 1);
    // "::1.2.3.4" leaves "::"; "1::2:1.2.3.4" leaves "1::2:" -> drop the separator.
    if (tail.endsWith(':') && !tail.endsWith('::')) tail = tail.slice(0, -1);
  }
  const groupsWanted = v4 ? 6 : 8;
  const halves = tail.split('::');
  if (halves.length > 2) return undefined;
  const parseGroups = (s: string): number[] | undefined => {
    if (s === '') return [];
    const out: number[] = [];
    for (const g of s.split(':')) {
      if (!/^[0-9a-fA-F]{1,4}$/.test(g)) return undefined;
      out.push(parseInt(g, 16));
    }
    return out;
  };
  if (halves.length === 1) {
    const g = parseGroups(halves[0]!);
    if (!g || g.length !== groupsWanted) return undefined;
    words = g;
  } else {
    const head = parseGroups(halves[0]!);
    const rest = parseGroups(halves[1]!);
    if (!head || !rest || head.length + rest.length > groupsWanted - 1) return undefined;
    words = [...head, ...new Array<number>(groupsWanted - head.length - rest.length).fill(0), ...rest];
  }
  const out = new Uint8Array(16);
  words.forEach((w, i) => {
    out[i * 2] = w >> 8;
    out[i * 2 + 1] = w & 0xff;
  });
  if (v4) out.set(v4, 12);
  return out;
}

/** Parses an IPv4 or IPv6 address; undefined if the text is not exactly one. */
export function parseIpAddress(text: string): IpAddress | undefined {
  if (typeof text !== 'string') return undefined;
  if (text.includes(':')) {
    const bytes = parseIpv6Bytes(text);
    return bytes ? { version: 6, bytes } : undefined;
  }
  const bytes = parseIpv4Bytes(text);
  return bytes ? { version: 4, bytes } : undefined;
}

/** Canonical text: dotted quad, or RFC 5952 IPv6 (lower case, longest zero run as `::`). */
export function formatIpAddress(ip: IpAddress): string {
  if (ip.version === 4) {
    const b = ip.bytes;
    // join() makes one flat string (a template would keep a tree of string pieces alive).
    return [b[0], b[1], b[2], b[3]].join('.');
  }
  const words: number[] = [];
  for (let i = 0; i < 16; i += 2) words.push((ip.bytes[i]! << 8) | ip.bytes[i + 1]!);
  let bestStart = -1;
  let bestLen = 0;
  for (let i = 0; i < 8; ) {
    if (words[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && words[j] === 0) j++;
    if (j - i > bestLen) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = (ws: number[]): string => ws.map((w) => w.toString(16)).join(':');
  if (bestLen < 2) return hex(words);
  return `${hex(words.slice(0, bestStart))}::${hex(words.slice(bestStart + bestLen))}`;
}

/** Parses `addr/len`; host bits are masked off. With allowBareAddress, `addr` alone is a /32 or /128. */
export function parseCidr(text: string, opts: { allowBareAddress?: boolean } = {}): Cidr | undefined {
  if (typeof text !== 'string') return undefined;
  const slash = text.indexOf('/');
  let addrText = text;
  let prefixLength: number | undefined;
  if (slash >= 0) {
    addrText = text.slice(0, slash);
    const lenText = text.slice(slash + 1);
    if (!/^[0-9]{1,3}$/.test(lenText)) return undefined;
    prefixLength = Number(lenText);
  } else if (!opts.allowBareAddress) {
    return undefined;
  }
  const ip = parseIpAddress(addrText);
  if (!ip) return undefined;
  const bits = ip.version === 4 ? 32 : 128;
  prefixLength ??= bits;
  if (prefixLength > bits) return undefined;
  const bytes = ip.bytes; // freshly parsed: masked in place
  for (let i = prefixLength >> 3; i < bytes.length; i++) {
    const keep = Math.max(0, Math.min(8, prefixLength - i * 8));
    bytes[i]! &= (0xff << (8 - keep)) & 0xff;
  }
  return { version: ip.version, bytes, prefixLength };
}

export function formatCidr(c: Cidr): string {
  return `${formatIpAddress(c)}/${c.prefixLength}`;
}

/**
 * Whether the text is an IPv4 /32 network already in canonical form ("10.0.0.1/32"), i.e.
 * formatCidr(parseCidr(text)) === text. The common case for endpoint addresses, answered
 * without allocating.
 */
export function isCanonicalIpv4HostNetwork(text: string): boolean {
  return text.endsWith('/32') && canonicalIpv4HostValue(text) >= 0;
}

/**
 * The address of an IPv4 host already in canonical form, bare or as a /32 ("10.0.0.1",
 * "10.0.0.1/32"), as an unsigned 32-bit number; -1 for any other text. For the start-up build
 * of every IP set, where nearly every member is such a host.
 */
export function canonicalIpv4HostValue(text: string): number {
  const n = text.length;
  const end = n > 3 && text.charCodeAt(n - 3) === 0x2f /* / */ ? n - 3 : n;
  if (end !== n && (text.charCodeAt(n - 2) !== 0x33 /* 3 */ || text.charCodeAt(n - 1) !== 0x32 /* 2 */)) return -1;
  return scanIpv4(text, 0, end);
}

/** The canonical form of a CIDR text, or undefined if it is not one. */
export function canonicalCidr(text: string, opts: { allowBareAddress?: boolean } = {}): string | undefined {
  const c = parseCidr(text, opts);
  return c ? formatCidr(c) : undefined;
}

/** The canonical form of an address text, or undefined if it is not one. */
export function canonicalIpAddress(text: string): string | undefined {
  const ip = parseIpAddress(text);
  return ip ? formatIpAddress(ip) : undefined;
}

/** The IP version of a CIDR or address text (undefined if it is neither). */
export function ipVersionOf(text: string): IpVersion | undefined {
  return parseCidr(text, { allowBareAddress: true })?.version;
}

/** Whether the network contains the address. */
export function cidrContains(net: Cidr, ip: IpAddress): boolean {
  if (net.version !== ip.version) return false;
  for (let i = 0; i < net.bytes.length; i++) {
    const keep = Math.max(0, Math.min(8, net.prefixLength - i * 8));
    const mask = (0xff << (8 - keep)) & 0xff;
    if ((ip.bytes[i]! & mask) !== net.bytes[i]) return false;
  }
  return true;
}

/**
 * A 48-bit MAC in any of Go's ParseMAC spellings (`01:23:45:67:89:ab`,
 * `01-23-45-67-89-ab`, `0123.4567.89ab`), as lower-case colon-separated text.
 */
const CANONICAL_MAC_RE = /^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/;

export function canonicalMac(text: string): string | undefined {
  if (typeof text !== 'string') return undefined;
  if (CANONICAL_MAC_RE.test(text)) return text; // already lower-case and colon-separated
  let hex: string;
  if (/^[0-9a-fA-F]{2}(:[0-9a-fA-F]{2}){5}$/.test(text) || /^[0-9a-fA-F]{2}(-[0-9a-fA-F]{2}){5}$/.test(text)) {
    hex = text.replace(/[-:]/g, '');
  } else if (/^[0-9a-fA-F]{4}(\.[0-9a-fA-F]{4}){2}$/.test(text)) {
    hex = text.replace(/\./g, '');
  } else {
    return undefined;
  }
  hex = hex.toLowerCase();
  return hex.match(/../g)!.join(':');
}
