// The rule text of calicoctl v0's profile commands, parsed into a Rule and
// printed back (pycalico's Rule.pprint). The grammar, word by word, in this
// order (as docopt matched it, so the order of the parts is fixed):
//
//   (allow|deny) [
//       (tcp|udp) [from [ports P] [tag T] [cidr C]] [to [ports P] [tag T] [cidr C]]
//     | (icmp|icmpv6) [type N [code N]] [from [tag T] [cidr C]] [to [tag T] [cidr C]]
//     | [from [tag T] [cidr C]] [to [tag T] [cidr C]] ]
//
// A v0 rule maps onto the shared Rule type: `from` is `source`, `to` is
// `destination`, `cidr` is `net`, `type`/`code` are `icmp.type`/`icmp.code`.
// Printing also covers what only v1 resources can hold (negations, selectors,
// several nets, log and pass), so `rule show` never hides part of a rule; the
// parser accepts only the v0 grammar.
import { isValidTag } from './names.js';
import { canonicalCidr, ipVersionOf } from './net.js';
import type { EntityRule, IcmpMatch, Port, Rule } from './types.js';

/** Rule text that does not fit the grammar or holds a bad value; `word` is the offending word. */
export class RuleSyntaxError extends Error {
  constructor(
    message: string,
    /** The word of the rule text that is wrong (absent when the text ended too early). */
    public readonly word: string | undefined,
    /** True when the words are out of place (the usage helps); false when a value is bad. */
    public readonly structural: boolean,
  ) {
    super(message);
    this.name = 'RuleSyntaxError';
  }
}

const ACTIONS = ['allow', 'deny'] as const;
const PROTOCOLS = ['tcp', 'udp', 'icmp', 'icmpv6'] as const;
type V0Protocol = (typeof PROTOCOLS)[number];

/** Reads words left to right, remembering which words would have fitted where it stopped. */
class WordCursor {
  private pos = 0;
  private expected: string[] = [];
  constructor(private readonly words: readonly string[]) {}

  /** Consumes the next word if it is `keyword`; otherwise notes it as acceptable here. */
  accept(keyword: string): boolean {
    if (this.words[this.pos] === keyword) {
      this.pos++;
      this.expected = [];
      return true;
    }
    this.expected.push(keyword);
    return false;
  }

  /** Consumes the next word if it is one of `keywords`. */
  acceptOneOf<K extends string>(keywords: readonly K[]): K | undefined {
    for (const k of keywords) if (this.accept(k)) return k;
    return undefined;
  }

  /** The value that must follow `keyword`. */
  value(keyword: string): string {
    const word = this.words[this.pos];
    if (word === undefined) {
      throw new RuleSyntaxError(`Invalid rule: '${keyword}' needs a value after it.`, keyword, true);
    }
    this.pos++;
    this.expected = [];
    return word;
  }

  get next(): string | undefined {
    return this.words[this.pos];
  }

  get previous(): string | undefined {
    return this.pos > 0 ? this.words[this.pos - 1] : undefined;
  }

  /** The error for the word at the cursor (or for a missing word), listing what would have fitted. */
  unexpected(hint?: string, endAllowed = true): RuleSyntaxError {
    const word = this.words[this.pos];
    const options = [...this.expected.map((w) => `'${w}'`), ...(endAllowed ? ['the end of the rule'] : [])];
    const expected = options.length === 1 ? options[0]! : `${options.slice(0, -1).join(', ')} or ${options.at(-1)}`;
    const after = this.previous === undefined ? '' : ` after '${this.previous}'`;
    const found =
      word !== undefined ? `unexpected ${quoteWord(word)}${after}` : after ? `the rule ends${after}` : 'no rule given';
    return new RuleSyntaxError(`Invalid rule: ${found}; expected ${expected}.${hint ? ` ${hint}` : ''}`, word, true);
  }
}

/** A word as an error message shows it: single-quoted, or JSON-quoted when it holds odd characters. */
function quoteWord(word: string): string {
  return /^[\x21-\x7e]+$/.test(word) && !/['\\]/.test(word) ? `'${word}'` : JSON.stringify(word);
}

/**
 * Parses `(allow|deny) [RULE]`, given as the command line's words, into a Rule.
 * Throws RuleSyntaxError naming the offending word.
 */
export function parseRule(words: readonly string[]): Rule {
  const cursor = new WordCursor(words);
  const action = cursor.acceptOneOf(ACTIONS);
  if (action === undefined) throw cursor.unexpected(undefined, false);
  const rule: Rule = { action };

  const protocol = cursor.acceptOneOf(PROTOCOLS);
  if (protocol !== undefined) rule.protocol = protocol;
  const isIcmp = protocol === 'icmp' || protocol === 'icmpv6';
  const hasPorts = protocol === 'tcp' || protocol === 'udp';

  if (isIcmp && cursor.accept('type')) {
    const icmp: IcmpMatch = { type: parseIcmpNumber(cursor.value('type'), 'type') };
    if (cursor.accept('code')) icmp.code = parseIcmpNumber(cursor.value('code'), 'code');
    rule.icmp = icmp;
  }

  const source = parseEntity(cursor, 'from', hasPorts);
  if (source) rule.source = source;
  const destination = parseEntity(cursor, 'to', hasPorts);
  if (destination) rule.destination = destination;

  if (cursor.next !== undefined) throw cursor.unexpected(hintFor(cursor.next, rule, protocol));
  checkIpVersions(rule, protocol);
  return rule;
}

/** `from ...` or `to ...`: the entity, or undefined when the keyword is absent or nothing follows it. */
function parseEntity(cursor: WordCursor, keyword: 'from' | 'to', hasPorts: boolean): EntityRule | undefined {
  if (!cursor.accept(keyword)) return undefined;
  const entity: EntityRule = {};
  if (hasPorts && cursor.accept('ports')) entity.ports = parsePorts(cursor.value('ports'));
  if (cursor.accept('tag')) entity.tag = parseName(cursor.value('tag'), 'tag');
  if (cursor.accept('cidr')) entity.net = parseCidr(cursor.value('cidr'));
  return Object.keys(entity).length > 0 ? entity : undefined;
}

/** Says why a known keyword is out of place, when the grammar has a reason. */
function hintFor(word: string, rule: Rule, protocol: V0Protocol | undefined): string | undefined {
  const isIcmp = protocol === 'icmp' || protocol === 'icmpv6';
  if (word === 'ports' && protocol !== 'tcp' && protocol !== 'udp') {
    return `Ports need protocol tcp or udp${protocol ? `, not ${protocol}` : ''}.`;
  }
  if ((word === 'type' || word === 'code') && !isIcmp) return 'ICMP type and code need protocol icmp or icmpv6.';
  if (word === 'code' && rule.icmp === undefined) return 'An ICMP code needs a type before it.';
  if (word === 'ports' || word === 'tag' || word === 'cidr') return "After 'from' or 'to', the order is ports, tag, cidr.";
  if (word === 'from' || word === 'to') return "'from' comes before 'to', each at most once.";
  if ((PROTOCOLS as readonly string[]).includes(word)) return 'The protocol comes right after allow or deny.';
  return undefined;
}

function parseName(text: string, what: 'tag'): string {
  if (!isValidTag(text)) {
    throw new RuleSyntaxError(
      `Invalid ${what} ${quoteWord(text)}: a ${what} is 1 to 128 numbers, letters, dots, dashes and underscores.`,
      text,
      false,
    );
  }
  return text;
}

function parseIcmpNumber(text: string, what: 'type' | 'code'): number {
  const n = /^\d{1,3}$/.test(text) ? Number(text) : NaN;
  if (!(n >= 0 && n <= 255)) {
    throw new RuleSyntaxError(`Invalid ICMP ${what} ${quoteWord(text)}: expected a number from 0 to 255.`, text, false);
  }
  return n;
}

/**
 * A comma-separated list of ports and ranges (`a:b`, or `a-b` stored as `a:b`):
 * single ports as numbers, ranges as "a:b" strings (`80:80` is the port 80).
 */
export function parsePorts(text: string): Port[] {
  if (!/^\d+([:-]\d+)?(,\d+([:-]\d+)?)*$/.test(text)) {
    throw new RuleSyntaxError(
      `Invalid ports ${quoteWord(text)}: expected a comma-separated list of ports and port ranges (80,443,8000:8080).`,
      text,
      false,
    );
  }
  return text.split(',').map((part) => {
    const range = /^(\d+)[:-](\d+)$/.exec(part);
    if (!range) return checkPort(part, text);
    const low = checkPort(range[1]!, text);
    const high = checkPort(range[2]!, text);
    if (low > high) {
      const where = part === text ? '' : ` in ${quoteWord(text)}`;
      throw new RuleSyntaxError(`Invalid port range '${part}'${where}: ${low} is greater than ${high}.`, text, false);
    }
    // A one-port range is that port, as the model normalises it.
    return low === high ? low : `${low}:${high}`;
  });
}

function checkPort(digits: string, whole: string): number {
  const n = Number(digits);
  if (!(n >= 1 && n <= 65535)) {
    const where = digits === whole ? '' : ` in ${quoteWord(whole)}`;
    throw new RuleSyntaxError(`Invalid port '${digits}'${where}: ports are 1 to 65535.`, whole, false);
  }
  return n;
}

/**
 * An IPv4 or IPv6 network in canonical form (host bits masked off, as Calico
 * stores it); a bare address is a /32 or /128.
 */
export function parseCidr(text: string): string {
  const cidr = canonicalCidr(text, { allowBareAddress: true });
  if (cidr === undefined) {
    throw new RuleSyntaxError(`Invalid CIDR ${quoteWord(text)}: expected an IPv4 or IPv6 address with an optional /prefix.`, text, false);
  }
  return cidr;
}

function cidrVersion(cidr: string): 4 | 6 {
  return ipVersionOf(cidr) ?? 4;
}

/** Both CIDRs of a rule, and icmp (v4) or icmpv6 (v6), must agree on the IP version. */
function checkIpVersions(rule: Rule, protocol: V0Protocol | undefined): void {
  const nets = [rule.source?.net, rule.destination?.net].filter((n): n is string => n !== undefined);
  const wanted = protocol === 'icmp' ? 4 : protocol === 'icmpv6' ? 6 : undefined;
  for (const net of nets) {
    const version = cidrVersion(net);
    if (wanted !== undefined && version !== wanted) {
      throw new RuleSyntaxError(
        `Invalid rule: CIDR '${net}' is IPv${version} but protocol ${protocol} is IPv${wanted}.`,
        net,
        false,
      );
    }
  }
  if (nets.length === 2 && cidrVersion(nets[0]!) !== cidrVersion(nets[1]!)) {
    throw new RuleSyntaxError(
      `Invalid rule: the CIDRs '${nets[0]}' and '${nets[1]}' are of different IP versions.`,
      nets[1],
      false,
    );
  }
}

// ---------------------------------------------------------------- printing

export function formatPorts(ports: readonly Port[]): string {
  return ports.map(String).join(',');
}

function formatIcmp(icmp: IcmpMatch): string[] {
  const out: string[] = [];
  if (icmp.type !== undefined) out.push('type', String(icmp.type));
  if (icmp.code !== undefined) out.push('code', String(icmp.code));
  return out;
}

/** The words of one side of a rule: the v0 parts first, then what only v1 can express. */
function formatEntity(entity: EntityRule | undefined): string[] {
  if (!entity) return [];
  const out: string[] = [];
  if (entity.ports?.length) out.push('ports', formatPorts(entity.ports));
  if (entity.tag !== undefined) out.push('tag', entity.tag);
  if (entity.net !== undefined) out.push('cidr', entity.net);
  if (entity.nets?.length) out.push('cidrs', entity.nets.join(','));
  if (entity.selector !== undefined) out.push('selector', JSON.stringify(entity.selector));
  if (entity.notPorts?.length) out.push('not', 'ports', formatPorts(entity.notPorts));
  if (entity.notTag !== undefined) out.push('not', 'tag', entity.notTag);
  if (entity.notNet !== undefined) out.push('not', 'cidr', entity.notNet);
  if (entity.notNets?.length) out.push('not', 'cidrs', entity.notNets.join(','));
  if (entity.notSelector !== undefined) out.push('not', 'selector', JSON.stringify(entity.notSelector));
  return out;
}

/**
 * A rule as `rule show` prints it: action, protocol, `type N`, `code N`, then
 * `from` and the source's `ports`, `tag`, `cidr`, then `to` and the same for
 * the destination, e.g. `allow tcp from tag applications to ports 3306`.
 */
export function formatRule(rule: Rule): string {
  const out: string[] = [rule.action];
  if (rule.ipVersion !== undefined) out.push(`ipv${rule.ipVersion}`);
  if (rule.protocol !== undefined) out.push(String(rule.protocol));
  if (rule.icmp) out.push(...formatIcmp(rule.icmp));
  if (rule.notProtocol !== undefined) out.push('not', String(rule.notProtocol));
  if (rule.notICMP) out.push('not', ...formatIcmp(rule.notICMP));
  const source = formatEntity(rule.source);
  if (source.length) out.push('from', ...source);
  const destination = formatEntity(rule.destination);
  if (destination.length) out.push('to', ...destination);
  return out.join(' ');
}

// ---------------------------------------------------------------- comparing

/**
 * True when two rules match the same packets with the same action, written the
 * same way: absent, empty-list and empty-object fields count as unset (how the
 * v0 commands spot a duplicate rule or find the rule to remove).
 */
export function sameRule(a: Rule, b: Rule): boolean {
  return canonicalJson(a) === canonicalJson(b);
}

function canonicalJson(value: unknown): string {
  return JSON.stringify(prune(value)) ?? '';
}

/** Drops unset fields and sorts keys, so equal rules print the same JSON. */
function prune(value: unknown): unknown {
  if (Array.isArray(value)) return value.length === 0 ? undefined : value.map(prune);
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(value).sort()) {
      const v = prune((value as Record<string, unknown>)[key]);
      if (v !== undefined) out[key] = v;
    }
    return Object.keys(out).length === 0 ? undefined : out;
  }
  return value;
}
