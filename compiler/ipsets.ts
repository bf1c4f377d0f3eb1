// IP sets for selectors and tags (DESIGN.md section 6): `cali40`/`cali60` +
// id cut to 31 characters, type hash:net, members as ipset prints them.
//
// maxelem: ipset cannot change a set's maxelem in place (a different value
// means a new set and a swap), so it should rarely change. Every set gets
// config.ipSetMinMaxElem (default 1048576, Felix's MaxIPSetSize); a set with
// more than half that many members gets twice its member count rounded up to
// a power of two, so growth changes it only on doubling.
import { formatIpAddress, parseCidr, type Cidr } from '../src/model/net.js';
import type { IpSetMembers } from './desired-state.js';
import type { IpSetSpec } from './ruleset.js';
import type { CompilerConfig } from './config.js';
import { CompileError } from './errors.js';
import { ipSetName } from './names.js';

export function ipSetMaxElem(memberCount: number, minimum: number): number {
  let size = minimum;
  while (size < memberCount * 2) size *= 2;
  return size;
}

/** A member as `ipset list` prints it: the address alone for a /32 (/128), else address/len. */
export function formatMember(c: Cidr): string {
  const full = c.version === 4 ? 32 : 128;
  return c.prefixLength === full ? formatIpAddress(c) : `${formatIpAddress(c)}/${c.prefixLength}`;
}

/** Orders members by address bytes, then prefix length. */
export function compareCidrs(a: Cidr, b: Cidr): number {
  for (let i = 0; i < a.bytes.length; i++) {
    const d = a.bytes[i]! - b.bytes[i]!;
    if (d !== 0) return d;
  }
  return a.prefixLength - b.prefixLength;
}

/** The members of one family, parsed, de-duplicated, sorted and formatted. */
export function ipSetMembers(cidrs: Iterable<string>, ipVersion: 4 | 6, field: string): string[] {
  const parsed: Cidr[] = [];
  for (const text of cidrs) {
    const c = parseCidr(text, { allowBareAddress: true });
    if (!c) throw new CompileError(field, text, 'is not a CIDR');
    if (c.version !== ipVersion) throw new CompileError(field, text, `is not an IPv${ipVersion} CIDR`);
    if (c.prefixLength === 0) throw new CompileError(field, text, 'is a /0, which a hash:net set cannot hold');
    parsed.push(c);
  }
  parsed.sort(compareCidrs);
  const out: string[] = [];
  for (const c of parsed) {
    const text = formatMember(c);
    if (out[out.length - 1] !== text) out.push(text);
  }
  return out;
}

/** The kernel IP set for one selector id in one family. */
export function ipSetSpec(id: string, members: IpSetMembers, ipVersion: 4 | 6, config: Readonly<CompilerConfig>): IpSetSpec {
  const list = ipSetMembers(ipVersion === 4 ? members.v4 : members.v6, ipVersion, `ipSets[${JSON.stringify(id)}].v${ipVersion}`);
  return {
    name: ipSetName(ipVersion, id),
    type: 'hash:net',
    family: ipVersion === 4 ? 'inet' : 'inet6',
    maxelem: ipSetMaxElem(list.length, config.ipSetMinMaxElem),
    members: list,
  };
}
