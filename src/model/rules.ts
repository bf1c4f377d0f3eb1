// Rules: the field checks shared by every surface (v1 YAML, storage JSON, v0
// rule JSON), the cross-field checks of a whole rule, and the parser of the
// v1 API shape. Everything that reaches the compiler as a port, protocol,
// CIDR, tag or selector has passed through here.
import { parseSelector } from '../selector/index.js';
import { fieldPath, invalid, missing } from './errors.js';
import { isValidTag, TAG_RULE } from './names.js';
import { canonicalCidr, ipVersionOf, type IpVersion } from './net.js';
import { checkKeys, own, present, readList, readObject, readString } from './read.js';
import type { Action, EntityRule, IcmpMatch, Port, Protocol, Rule } from './types.js';

export const ACTIONS: readonly Action[] = ['allow', 'deny', 'log', 'pass'];
export const PROTOCOL_NAMES = ['tcp', 'udp', 'icmp', 'icmpv6', 'sctp', 'udplite'] as const;

// ---------------------------------------------------------------- single fields

const PORT_RULE = 'port must be between 1 and 65535';

/** A port: 1-65535, or "a:b" with a <= b. "80" reads as 80 and "80:80" as 80. */
export function checkPort(v: unknown, path: string): Port {
  if (typeof v === 'number') {
    if (!Number.isInteger(v)) throw invalid(path, v, 'port must be a whole number');
    if (v < 1 || v > 65535) throw invalid(path, v, PORT_RULE);
    return v;
  }
  if (typeof v !== 'string') throw invalid(path, v, 'port must be a number or a range "a:b"');
  const m = /^([0-9]{1,5})(?::([0-9]{1,5}))?$/.exec(v);
  if (!m) throw invalid(path, v, 'port must be a number or a range "a:b"');
  const a = Number(m[1]);
  if (a < 1 || a > 65535) throw invalid(path, v, PORT_RULE);
  if (m[2] === undefined) return a;
  const b = Number(m[2]);
  if (b < 1 || b > 65535) throw invalid(path, v, PORT_RULE);
  if (a > b) throw invalid(path, v, 'a port range must not start after it ends');
  return a === b ? a : `${a}:${b}`;
}

export function checkPorts(v: unknown, path: string): Port[] {
  return readList(v, path).map((p, i) => checkPort(p, fieldPath(path, i)));
}

const PROTOCOL_RULE = 'protocol must be tcp, udp, icmp, icmpv6, sctp, udplite or a number 1-255';

/** A protocol name (lower case, as Calico v1) or number 1-255; "6" reads as 6. */
export function checkProtocol(v: unknown, path: string): Protocol {
  if (typeof v === 'number') {
    if (!Number.isInteger(v) || v < 1 || v > 255) throw invalid(path, v, PROTOCOL_RULE);
    return v;
  }
  if (typeof v === 'string') {
    if ((PROTOCOL_NAMES as readonly string[]).includes(v)) return v;
    if (/^[0-9]{1,3}$/.test(v)) return checkProtocol(Number(v), path);
  }
  throw invalid(path, v, PROTOCOL_RULE);
}

/** Whether a protocol carries ports (Calico v1: tcp and udp). */
export function protocolHasPorts(p: Protocol | undefined): boolean {
  return p === 'tcp' || p === 'udp' || p === 6 || p === 17;
}

/** The IP version an ICMP protocol implies (icmp: 4, icmpv6: 6). */
export function protocolIpVersion(p: Protocol | undefined): IpVersion | undefined {
  if (p === 'icmp' || p === 1) return 4;
  if (p === 'icmpv6' || p === 58) return 6;
  return undefined;
}

export function checkIcmpNumber(v: unknown, path: string, what: 'type' | 'code'): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > 255) {
    throw invalid(path, v, `ICMP ${what} must be a whole number between 0 and 255`);
  }
  // iptables reads type 255 as "any type": allowing it would open every ICMP type
  // (Calico's v1 API stops types at 254 for the same reason).
  if (what === 'type' && v === 255) {
    throw invalid(path, v, 'ICMP type 255 is not allowed: iptables reads it as "any type"; use 0-254');
  }
  return v;
}

export function checkAction(v: unknown, path: string): Action {
  if (typeof v !== 'string' || !(ACTIONS as readonly string[]).includes(v)) {
    throw invalid(path, v, 'action must be allow, deny, log or pass');
  }
  return v as Action;
}

export function checkIpVersion(v: unknown, path: string): IpVersion {
  if (v !== 4 && v !== 6) throw invalid(path, v, 'ipVersion must be 4 or 6');
  return v;
}

/** A CIDR in canonical form; host bits are masked off as Calico does. */
export function checkCidr(v: unknown, path: string): string {
  const text = readString(v, path);
  const c = canonicalCidr(text);
  if (c === undefined) throw invalid(path, v, 'must be a CIDR such as 10.0.0.0/8 or fd00::/64');
  return c;
}

export function checkCidrs(v: unknown, path: string): string[] {
  return readList(v, path).map((c, i) => checkCidr(c, fieldPath(path, i)));
}

export function checkTag(v: unknown, path: string): string {
  const text = readString(v, path);
  if (!isValidTag(text)) throw invalid(path, v, TAG_RULE);
  return text;
}

/** Control characters written as JSON escapes, so a message stays on one line. */
const oneLine = (s: string): string => s.replace(/[\x00-\x1f\x7f]/g, (c) => JSON.stringify(c).slice(1, -1));

/** A selector must parse; it is kept as written (calicoctl prints it as the user wrote it). */
export function checkSelector(v: unknown, path: string): string {
  const text = readString(v, path);
  try {
    parseSelector(text);
  } catch (e) {
    throw invalid(path, v, `invalid selector: ${oneLine(e instanceof Error ? e.message : String(e))}`);
  }
  return text;
}

// ---------------------------------------------------------------- whole rule

/** Maps a field of the v1 rule shape (e.g. `source.nets[1]`, `icmp.code`) to the path shown in errors. */
export type FieldLocator = (field: string) => string;

const SIDES = ['source', 'destination'] as const;

/**
 * Checks that hold between fields: ports need tcp/udp, ICMP matches need an
 * ICMP protocol and a type before a code, and one IP version across
 * ipVersion, the ICMP protocol and every CIDR.
 */
export function checkRuleConsistency(rule: Rule, at: FieldLocator): void {
  for (const side of SIDES) {
    const e = rule[side];
    if (!e) continue;
    for (const f of ['ports', 'notPorts'] as const) {
      if (e[f] && !protocolHasPorts(rule.protocol)) {
        throw invalid(at(`${side}.${f}`), e[f], 'ports need protocol tcp or udp');
      }
    }
  }
  for (const f of ['icmp', 'notICMP'] as const) {
    const m = rule[f];
    if (!m) continue;
    if (m.code !== undefined && m.type === undefined) {
      throw invalid(at(`${f}.code`), m.code, 'an ICMP code needs an ICMP type');
    }
    if (protocolIpVersion(rule.protocol) === undefined) {
      throw invalid(at(f), m, 'ICMP matches need protocol icmp or icmpv6');
    }
  }

  let version: IpVersion | undefined = rule.ipVersion;
  let versionFrom = `${at('ipVersion')}=${rule.ipVersion}`;
  const implied = protocolIpVersion(rule.protocol);
  if (implied !== undefined) {
    if (version !== undefined && version !== implied) {
      throw invalid(at('ipVersion'), version, `protocol ${rule.protocol} is IPv${implied}`);
    }
    version = implied;
    versionFrom = `${at('protocol')}=${rule.protocol}`;
  }
  for (const side of SIDES) {
    const e = rule[side];
    if (!e) continue;
    const nets: [string, string][] = [];
    if (e.net) nets.push([`${side}.net`, e.net]);
    e.nets?.forEach((n, i) => nets.push([`${side}.nets[${i}]`, n]));
    if (e.notNet) nets.push([`${side}.notNet`, e.notNet]);
    e.notNets?.forEach((n, i) => nets.push([`${side}.notNets[${i}]`, n]));
    for (const [field, cidr] of nets) {
      const v = ipVersionOf(cidr);
      if (v === undefined) continue; // cannot happen: nets are checked before
      if (version === undefined) {
        version = v;
        versionFrom = `${at(field)}=${cidr}`;
      } else if (v !== version) {
        throw invalid(at(field), cidr, `an IPv${v} CIDR, but the rule is IPv${version} as set by ${versionFrom}`);
      }
    }
  }
}

// ---------------------------------------------------------------- the v1 API shape

const RULE_KEYS = ['action', 'ipVersion', 'protocol', 'notProtocol', 'icmp', 'notICMP', 'source', 'destination'];
const ICMP_KEYS = ['type', 'code'];
/** EntityRule fields in calicoctl v1's order. */
export const ENTITY_FIELDS = [
  'tag', 'net', 'nets', 'selector', 'ports',
  'notTag', 'notNet', 'notNets', 'notSelector', 'notPorts',
] as const;
export type EntityField = (typeof ENTITY_FIELDS)[number];

function parseIcmp(v: unknown, path: string): IcmpMatch | undefined {
  const o = readObject(v, path);
  checkKeys(o, ICMP_KEYS, path);
  const m: IcmpMatch = {};
  if (present(own(o, 'type'))) m.type = checkIcmpNumber(o.type, fieldPath(path, 'type'), 'type');
  if (present(own(o, 'code'))) m.code = checkIcmpNumber(o.code, fieldPath(path, 'code'), 'code');
  return m.type === undefined && m.code === undefined ? undefined : m;
}

/** Checks and normalises one entity field value (empty strings and lists read as absent). */
export function checkEntityField(field: EntityField, v: unknown, path: string): EntityRule[EntityField] | undefined {
  switch (field) {
    case 'tag':
    case 'notTag':
      return v === '' ? undefined : checkTag(v, path);
    case 'selector':
    case 'notSelector':
      return v === '' ? undefined : checkSelector(v, path);
    case 'net':
    case 'notNet':
      return checkCidr(v, path);
    case 'nets':
    case 'notNets': {
      const nets = checkCidrs(v, path);
      return nets.length ? nets : undefined;
    }
    case 'ports':
    case 'notPorts': {
      const ports = checkPorts(v, path);
      return ports.length ? ports : undefined;
    }
  }
}

export function setEntityField(e: EntityRule, field: EntityField, value: EntityRule[EntityField]): void {
  (e as Record<EntityField, unknown>)[field] = value;
}

function parseEntity(v: unknown, path: string): EntityRule | undefined {
  const o = readObject(v, path);
  checkKeys(o, ENTITY_FIELDS, path);
  const e: EntityRule = {};
  for (const field of ENTITY_FIELDS) {
    const raw = own(o, field);
    if (!present(raw)) continue;
    const value = checkEntityField(field, raw, fieldPath(path, field));
    if (value !== undefined) setEntityField(e, field, value);
  }
  return Object.keys(e).length ? e : undefined;
}

/** Validates a rule of the v1 YAML shape and returns it normalised. */
export function parseRule(raw: unknown, path: string): Rule {
  const o = readObject(raw, path, 'a rule (a mapping)');
  checkKeys(o, RULE_KEYS, path);
  const action = own(o, 'action');
  if (!present(action)) throw missing(fieldPath(path, 'action'), 'a rule needs an action: allow, deny, log or pass');
  const rule: Rule = { action: checkAction(action, fieldPath(path, 'action')) };
  const get = (k: string): unknown => own(o, k);
  if (present(get('ipVersion'))) rule.ipVersion = checkIpVersion(get('ipVersion'), fieldPath(path, 'ipVersion'));
  if (present(get('protocol'))) rule.protocol = checkProtocol(get('protocol'), fieldPath(path, 'protocol'));
  if (present(get('notProtocol'))) rule.notProtocol = checkProtocol(get('notProtocol'), fieldPath(path, 'notProtocol'));
  if (present(get('icmp'))) {
    const m = parseIcmp(get('icmp'), fieldPath(path, 'icmp'));
    if (m) rule.icmp = m;
  }
  if (present(get('notICMP'))) {
    const m = parseIcmp(get('notICMP'), fieldPath(path, 'notICMP'));
    if (m) rule.notICMP = m;
  }
  for (const side of SIDES) {
    if (!present(get(side))) continue;
    const e = parseEntity(get(side), fieldPath(path, side));
    if (e) rule[side] = e;
  }
  checkRuleConsistency(rule, (f) => (path === '' ? f : `${path}.${f}`));
  return rule;
}

export function parseRules(v: unknown, path: string): Rule[] {
  return readList(v, path).map((r, i) => parseRule(r, fieldPath(path, i)));
}
