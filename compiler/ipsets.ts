// IP sets for selectors and tags (DESIGN.md section 6): `cali40`/`cali60` +
// id cut to 31 characters, type hash:net, members as ipset prints them.
//
// maxelem: ipset cannot change a set's maxelem in place (a different value
// means a new set and a swap), so it should rarely change. Every set gets
// config.ipSetMinMaxElem (default 1048576, Felix's MaxIPSetSize); a set with
// more than half that many members gets twice its member count rounded up to
// a power of two, so growth changes it only on doubling.
import { canonicalIpv4HostValue, formatIpAddress, parseCidr, type Cidr } from '../src/model/net.js';
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

/**
 * The members of one family, parsed, de-duplicated, sorted and formatted, by the general parser
 * alone: the reference the memoised ipSetSpec (with its IPv4 fast path) is tested against.
 */
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
 * datastore change typically moves one address in one set. It holds strings only (no parsed
 * form per member): at L that is ~400,000 members, and the sorted list itself is the index.
 */
interface SpecMemo {
  id: string;
  minMaxElem: number;
  /** IpSetMembers.revision the spec was built at (undefined: the set has none; always recheck). */
  revision: number | undefined;
  /** Returned again, the very same object, while the members stay the same (see ruleset.ts). */
  spec: IpSetSpec;
  /** Each source text of the live set as its formatted member (built when the set first changes). */
  sources: Map<string, string> | undefined;
  /**
   * The first build's source texts and their members, by index, until the set first changes:
   * most sets never do, and a map of every member of every set costs a cold start ~10%.
   */
  firstBuild: { texts: string[]; members: string[] } | undefined;
  /** Formatted members that more than one source text prints as (e.g. "198.18.0.1" and "198.18.0.1/32"): the extra count. */
  shared: Map<string, number>;
}

const specMemos = new WeakMap<IpSetMembers, { 4?: SpecMemo; 6?: SpecMemo }>();

const emptyMemo = (id: string, minMaxElem: number): SpecMemo => ({
  id, minMaxElem, revision: undefined, spec: undefined as unknown as IpSetSpec, sources: undefined, firstBuild: undefined, shared: new Map(),
});

/**
 * A member placed for sorting: its text as ipset prints it, and its position. IPv4 members
 * sort by one number (address, then prefix length, the order compareCidrs gives); IPv6 members
 * keep their parsed CIDR.
 */
interface Placed {
  member: string;
  v4Key: number;
  v6: Cidr | undefined;
}

const comparePlaced = (a: Placed, b: Placed): number => (a.v6 && b.v6 ? compareCidrs(a.v6, b.v6) : a.v4Key - b.v4Key);

/**
 * One source text parsed and checked (a CompileError when it is not a member of this family),
 * placed for sorting. A canonical IPv4 host, nearly every member, is read without allocating.
 */
function place(text: string, ipVersion: 4 | 6, field: string): Placed {
  if (ipVersion === 4) {
    const host = canonicalIpv4HostValue(text);
    if (host >= 0) return { member: text.endsWith('/32') ? text.slice(0, -3) : text, v4Key: host * 64 + 32, v6: undefined };
  }
  const c = parseMember(text, ipVersion, field);
  const member = formatMember(c);
  if (ipVersion === 6) return { member, v4Key: 0, v6: c };
  const b = c.bytes;
  return { member, v4Key: (b[0]! * 16777216 + b[1]! * 65536 + b[2]! * 256 + b[3]!) * 64 + c.prefixLength, v6: undefined };
}

/** Index of `member` in the sorted `list`, or -(insertion point) - 1 when absent. */
function search(list: readonly string[], member: Placed, ipVersion: 4 | 6): number {
  let lo = 0;
  let hi = list.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    // The list holds members this module formatted, so they parse.
    const d = comparePlaced(place(list[mid]!, ipVersion, ''), member);
    if (d === 0) return mid;
    if (d < 0) lo = mid + 1;
    else hi = mid - 1;
  }
  return -lo - 1;
}

/** The memo's map of source texts to members, built from the first build's lists on first use. */
function memoSources(memo: SpecMemo): Map<string, string> {
  if (memo.sources === undefined) {
    memo.sources = new Map();
    const first = memo.firstBuild;
    if (first) for (let i = 0; i < first.texts.length; i++) memo.sources.set(first.texts[i]!, first.members[i]!);
    memo.firstBuild = undefined;
  }
  return memo.sources;
}

/** updateMembers for an empty memo: one pass and one sort, without the bookkeeping of a change. */
function firstMembers(memo: SpecMemo, live: ReadonlySet<string>, ipVersion: 4 | 6, field: string): string[] {
  const texts = [...live];
  const placed = texts.map((text) => place(text, ipVersion, field));
  memo.firstBuild = { texts, members: placed.map((p) => p.member) };
  placed.sort(comparePlaced);
  const out: string[] = [];
  for (const { member } of placed) {
    if (out[out.length - 1] === member) memo.shared.set(member, (memo.shared.get(member) ?? 0) + 1);
    else out.push(member);
  }
  return out;
}

/**
 * Brings `memo` in line with `live` and returns the sorted member list, changing only the
 * members that came or went since the memo was built. Every new source text is parsed and
 * checked before the memo is touched, so a bad member throws and leaves it as it was.
 */
function updateMembers(memo: SpecMemo, live: ReadonlySet<string>, ipVersion: 4 | 6, field: string): string[] {
  if (!memo.spec) return firstMembers(memo, live, ipVersion, field);
  const sources = memoSources(memo);
  const added = new Map<string, Placed>();
  for (const text of live) if (!sources.has(text)) added.set(text, place(text, ipVersion, field));
  const removed: string[] = [];
  if (sources.size + added.size !== live.size) {
    for (const text of sources.keys()) if (!live.has(text)) removed.push(text);
  }
  const old = memo.spec.members;
  if (added.size === 0 && removed.length === 0) return old;

  const gone = new Set<string>();
  for (const text of removed) {
    const member = sources.get(text)!;
    sources.delete(text);
    const extra = memo.shared.get(member);
    if (extra === undefined) gone.add(member);
    else if (extra > 1) memo.shared.set(member, extra - 1);
    else memo.shared.delete(member);
  }
  const fresh = new Map<string, Placed>();
  for (const [text, placed] of added) {
    const { member } = placed;
    sources.set(text, member);
    if (gone.delete(member)) continue; // left and came back
    if (fresh.has(member) || search(old, placed, ipVersion) >= 0) {
      memo.shared.set(member, (memo.shared.get(member) ?? 0) + 1);
    } else {
      fresh.set(member, placed);
    }
  }
  if (fresh.size === 0 && gone.size === 0) return old;

  // A new array: the old one belongs to an IpSetSpec the dataplane may still hold.
  const kept = gone.size === 0 ? old : old.filter((m) => !gone.has(m));
  if (fresh.size === 0) return kept;
  if (fresh.size * 16 > kept.length) {
    // Many new members (a big selector change, say): one sort of everything.
    const all = [...fresh.values()];
    for (const m of kept) all.push(place(m, ipVersion, ''));
    return all.sort(comparePlaced).map((p) => p.member);
  }
  // Few new members into a long list: find each one's place by binary search.
  const inserts = [...fresh.values()].map((p) => ({ p, at: -search(kept, p, ipVersion) - 1 }));
  inserts.sort((a, b) => a.at - b.at || comparePlaced(a.p, b.p));
  const out: string[] = [];
  let from = 0;
  for (const { p, at } of inserts) {
    for (; from < at; from++) out.push(kept[from]!);
    out.push(p.member);
  }
  for (; from < kept.length; from++) out.push(kept[from]!);
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
