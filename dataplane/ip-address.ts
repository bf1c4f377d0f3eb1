// Address parsing and printing in the forms the kernel tools print, so desired
// values compare equal to what `ipset save` and `ip route` report.

/** Bytes of an IPv4 address, or undefined if `text` is not dotted-quad. */
export function parseIPv4(text: string): number[] | undefined {
  const parts = text.split('.');
  if (parts.length !== 4) return undefined;
  const bytes: number[] = [];
  for (const p of parts) {
    if (!/^\d{1,3}$/.test(p) || (p.length > 1 && p.startsWith('0'))) return undefined;
    const n = Number(p);
    if (n > 255) return undefined;
    bytes.push(n);
  }
  return bytes;
}

/** Bytes of an IPv6 address (RFC 4291 text forms, with optional embedded IPv4), or undefined. */
export function parseIPv6(text: string): number[] | undefined {
  if (!/^[0-9A-Fa-f:.]+$/.test(text) || text.length > 45) return undefined;
  let tail: number[] = [];
  let head = text;
  const lastColon = text.lastIndexOf(':');
  if (text.includes('.')) {
    const v4 = parseIPv4(text.slice(lastColon + 1));
    if (!v4 || lastColon < 0) return undefined;
    tail = [(v4[0]! << 8) | v4[1]!, (v4[2]! << 8) | v4[3]!];
    head = text.slice(0, lastColon + 1);
    // "::1.2.3.4" leaves "::"; "1::1.2.3.4" leaves "1::"; "1:2:3:4:5:6:1.2.3.4" leaves "...6:".
    if (head.endsWith(':') && !head.endsWith('::')) head = head.slice(0, -1);
  }
  const halves = head.split('::');
  if (halves.length > 2) return undefined;
  const parseGroups = (s: string): number[] | undefined => {
    if (s === '') return [];
    const out: number[] = [];
    for (const g of s.split(':')) {
      if (!/^[0-9A-Fa-f]{1,4}$/.test(g)) return undefined;
      out.push(parseInt(g, 16));
    }
    return out;
  };
  const left = parseGroups(halves[0]!);
  const right = halves.length === 2 ? parseGroups(halves[1]!) : [];
  if (!left || !right) return undefined;
  const given = left.length + right.length + tail.length;
  let groups: number[];
  if (halves.length === 2) {
    if (given > 7) return undefined;
    groups = [...left, ...new Array<number>(8 - given).fill(0), ...right, ...tail];
  } else {
    if (given !== 8) return undefined;
    groups = [...left, ...tail];
  }
  return groups.flatMap((g) => [g >> 8, g & 0xff]);
}

export function formatIPv4(bytes: readonly number[]): string {
  return bytes.join('.');
}

/** Prints IPv6 as glibc's inet_ntop does (ipset and iproute2 use it). */
export function formatIPv6(bytes: readonly number[]): string {
  const words: number[] = [];
  for (let i = 0; i < 16; i += 2) words.push((bytes[i]! << 8) | bytes[i + 1]!);
  // Longest run of two or more zero words, first one on a tie.
  let bestBase = -1, bestLen = 0;
  for (let i = 0; i < 8;) {
    if (words[i] !== 0) { i++; continue; }
    let j = i;
    while (j < 8 && words[j] === 0) j++;
    if (j - i > bestLen) { bestBase = i; bestLen = j - i; }
    i = j;
  }
  if (bestLen < 2) bestBase = -1;
  let out = '';
  for (let i = 0; i < 8; i++) {
    if (bestBase >= 0 && i >= bestBase && i < bestBase + bestLen) {
      if (i === bestBase) out += ':';
      continue;
    }
    if (i > 0) out += ':';
    // Embedded IPv4: ::a.b.c.d and ::ffff:a.b.c.d
    if (i === 6 && bestBase === 0 && (bestLen === 6 || (bestLen === 5 && words[5] === 0xffff))) {
      out += formatIPv4(bytes.slice(12));
      break;
    }
    out += words[i]!.toString(16);
  }
  if (bestBase >= 0 && bestBase + bestLen === 8) out += ':';
  return out;
}

export interface ParsedCidr {
  family: 4 | 6;
  /** Network address bytes with host bits cleared. */
  bytes: number[];
  prefix: number;
}

/** Parses "addr" or "addr/prefix" of the given family; undefined when malformed. */
export function parseCidr(text: string, family: 4 | 6): ParsedCidr | undefined {
  const slash = text.indexOf('/');
  const addr = slash < 0 ? text : text.slice(0, slash);
  const max = family === 4 ? 32 : 128;
  let prefix = max;
  if (slash >= 0) {
    const p = text.slice(slash + 1);
    if (!/^\d{1,3}$/.test(p)) return undefined;
    prefix = Number(p);
    if (prefix > max) return undefined;
  }
  const bytes = family === 4 ? parseIPv4(addr) : parseIPv6(addr);
  if (!bytes) return undefined;
  for (let bit = prefix; bit < max; bit++) bytes[bit >> 3]! &= ~(0x80 >> (bit & 7));
  return { family, bytes, prefix };
}

/** The form ipset and iproute2 print: host routes without their suffix, networks with it. */
export function formatCidr(c: ParsedCidr): string {
  const addr = c.family === 4 ? formatIPv4(c.bytes) : formatIPv6(c.bytes);
  const max = c.family === 4 ? 32 : 128;
  return c.prefix === max ? addr : `${addr}/${c.prefix}`;
}

/** Canonical member/route text, or undefined when `text` is not an address of `family`. */
export function canonicalCidr(text: string, family: 4 | 6): string | undefined {
  const c = parseCidr(text, family);
  return c ? formatCidr(c) : undefined;
}
