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

/** One source text (a member of the live set) parsed and checked, or the CompileError it earns. */
function parseMember(text: string, ipVersion: 4 | 6, field: string): Cidr {
  const c = parseCidr(text, { allowBareAddress: true });
  if (!c) throw new CompileError(field, text, 'is not a CIDR');
  if (c.version !== ipVersion) throw new CompileError(field, text, `is not an IPv${ipVersion} CIDR`);
  if (c.prefixLength === 0) throw new CompileError(field, text, 'is a /0, which a hash:net set cannot hold');
  return c;
}

/** The members of one family, parsed, de-duplicated, sorted and formatted. */
export function ipSetMembers(cidrs: Iterable<string>, ipVersion: 4 | 6, field: string): string[] {
  const parsed: Cidr[] = [];
  for (const text of cidrs) parsed.push(parseMember(text, ipVersion, field));
  parsed.sort(compareCidrs);
  const out: string[] = [];
  for (const c of parsed) {
    const text = formatMember(c);
    if (out[out.length - 1] !== text) out.push(text);
  }
  return out;
}

/**
 * What the last compile of one family of one IpSetMembers object produced, kept so that the
 * next compile redoes only what changed: at M there are ~50,000 members in ~500 sets, and a
 * datastore change typically moves one address in one set.
 */
interface SpecMemo {
  id: string;
  minMaxElem: number;
  /** IpSetMembers.revision the spec was built at (undefined: the set has none; always recheck). */
  revision: number | undefined;
  /** Returned again, the very same object, while the members stay the same (see ruleset.ts). */
  spec: IpSetSpec;
  /** Each source text of the live set as its formatted member. */
  sources: Map<string, string>;
  /** Each formatted member: its parsed form (the sort key) and how many source texts print as it. */
  members: Map<string, { cidr: Cidr; sources: number }>;
}

const specMemos = new WeakMap<IpSetMembers, { 4?: SpecMemo; 6?: SpecMemo }>();

const emptyMemo = (id: string, minMaxElem: number): SpecMemo => ({
  id, minMaxElem, revision: undefined, spec: undefined as unknown as IpSetSpec, sources: new Map(), members: new Map(),
});

/**
 * Brings `memo` in line with `live` and returns the sorted member list, changing only the
 * members that came or went since the memo was built. Every new source text is parsed and
 * checked before the memo is touched, so a bad member throws and leaves it as it was.
 */
function updateMembers(memo: SpecMemo, live: ReadonlySet<string>, ipVersion: 4 | 6, field: string): string[] {
  const added = new Map<string, Cidr>();
  for (const text of live) if (!memo.sources.has(text)) added.set(text, parseMember(text, ipVersion, field));
  const removed: string[] = [];
  if (memo.sources.size + added.size !== live.size) {
    for (const text of memo.sources.keys()) if (!live.has(text)) removed.push(text);
  }
  const old = memo.spec?.members ?? [];
  if (added.size === 0 && removed.length === 0) return old;

  const gone = new Set<string>();
  for (const text of removed) {
    const member = memo.sources.get(text)!;
    memo.sources.delete(text);
    const entry = memo.members.get(member)!;
    if (--entry.sources === 0) {
      memo.members.delete(member);
      gone.add(member);
    }
  }
  const fresh: { cidr: Cidr; text: string }[] = [];
  for (const [text, cidr] of added) {
    const member = formatMember(cidr);
    memo.sources.set(text, member);
    const entry = memo.members.get(member);
    if (entry) entry.sources++;
    else if (gone.delete(member)) memo.members.set(member, { cidr, sources: 1 }); // left and came back
    else {
      memo.members.set(member, { cidr, sources: 1 });
      fresh.push({ cidr, text: member });
    }
  }
  if (fresh.length === 0 && gone.size === 0) return old;

  // Merge the sorted old list (minus what went) with the sorted new members: a new array, as
  // the old one belongs to an IpSetSpec the dataplane may still hold.
  fresh.sort((a, b) => compareCidrs(a.cidr, b.cidr));
  const out: string[] = [];
  let f = 0;
  for (const member of old) {
    if (gone.has(member)) continue;
    if (f < fresh.length) {
      const cidr = memo.members.get(member)!.cidr;
      while (f < fresh.length && compareCidrs(fresh[f]!.cidr, cidr) < 0) out.push(fresh[f++]!.text);
    }
    out.push(member);
  }
  while (f < fresh.length) out.push(fresh[f++]!.text);
  return out;
}

/**
 * The kernel IP set for one selector id in one family. Memoised per IpSetMembers object and
 * family: while the set's revision is unchanged the very same IpSetSpec object is returned;
 * after a change only the added members are parsed and the sorted list is updated by a merge.
 * A set without a revision is rechecked against its live members on every call (and still
 * keeps its IpSetSpec object when nothing changed).
 */
export function ipSetSpec(id: string, members: IpSetMembers, ipVersion: 4 | 6, config: Readonly<CompilerConfig>): IpSetSpec {
  let perFamily = specMemos.get(members);
  if (!perFamily) specMemos.set(members, (perFamily = {}));
  let memo = perFamily[ipVersion];
  const minMaxElem = config.ipSetMinMaxElem;
  if (memo && memo.id === id && memo.minMaxElem === minMaxElem && members.revision !== undefined && memo.revision === members.revision) {
    return memo.spec;
  }
  if (!memo || memo.id !== id || memo.minMaxElem !== minMaxElem) memo = emptyMemo(id, minMaxElem);
  const live = ipVersion === 4 ? members.v4 : members.v6;
  const list = updateMembers(memo, live, ipVersion, `ipSets[${JSON.stringify(id)}].v${ipVersion}`);
  if (!memo.spec || list !== memo.spec.members) {
    memo.spec = {
      name: ipSetName(ipVersion, id),
      type: 'hash:net',
      family: ipVersion === 4 ? 'inet' : 'inet6',
      maxelem: ipSetMaxElem(list.length, minMaxElem),
      members: list,
    };
  }
  memo.revision = members.revision;
  perFamily[ipVersion] = memo;
  return memo.spec;
}
