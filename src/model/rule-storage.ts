// Rules in the Calico v1 backend JSON (libcalico-go's model.Rule): the form
// stored under the profile and policy keys, and the form the v0 `rule json` /
// `rule update` commands print and read. Keys come out in libcalico-go's
// struct order, which is the order Calico's own tools print them in.
import { fieldPath, InputSyntaxError, invalid } from './errors.js';
import { isValidResourceName, RESOURCE_NAME_RULE } from './names.js';
import { checkKeys, own, present, readList, readObject, readString } from './read.js';
import {
  checkEntityField, checkIcmpNumber, checkIpVersion, checkProtocol, checkRuleConsistency,
  ENTITY_FIELDS, setEntityField, type EntityField, type FieldLocator,
} from './rules.js';
import type { Action, EntityRule, IcmpMatch, Rule } from './types.js';

type Side = 'source' | 'destination';

/** Entity storage keys in libcalico-go's order, with the v1 field each holds. */
const ENTITY_KEYS: readonly (readonly [string, Side, EntityField])[] = [
  ['src_tag', 'source', 'tag'],
  ['src_net', 'source', 'net'],
  ['src_nets', 'source', 'nets'],
  ['src_selector', 'source', 'selector'],
  ['src_ports', 'source', 'ports'],
  ['dst_tag', 'destination', 'tag'],
  ['dst_selector', 'destination', 'selector'],
  ['dst_net', 'destination', 'net'],
  ['dst_nets', 'destination', 'nets'],
  ['dst_ports', 'destination', 'ports'],
  ['!src_tag', 'source', 'notTag'],
  ['!src_net', 'source', 'notNet'],
  ['!src_nets', 'source', 'notNets'],
  ['!src_selector', 'source', 'notSelector'],
  ['!src_ports', 'source', 'notPorts'],
  ['!dst_tag', 'destination', 'notTag'],
  ['!dst_selector', 'destination', 'notSelector'],
  ['!dst_net', 'destination', 'notNet'],
  ['!dst_nets', 'destination', 'notNets'],
  ['!dst_ports', 'destination', 'notPorts'],
];

const SCALAR_KEYS = ['action', 'ip_version', 'protocol', '!protocol', 'icmp_type', 'icmp_code', '!icmp_type', '!icmp_code'];
/** Every key of a stored rule, in the order they are written. */
export const STORAGE_RULE_KEYS: readonly string[] = [...SCALAR_KEYS, ...ENTITY_KEYS.map(([k]) => k)];

const SCALAR_FIELD_KEYS: Record<string, string> = {
  ipVersion: 'ip_version',
  protocol: 'protocol',
  notProtocol: '!protocol',
  icmp: 'icmp_type',
  'icmp.type': 'icmp_type',
  'icmp.code': 'icmp_code',
  notICMP: '!icmp_type',
  'notICMP.type': '!icmp_type',
  'notICMP.code': '!icmp_code',
};

/** The storage key (with index) holding a v1 rule field, for error messages. */
function storageLocator(path: string): FieldLocator {
  return (field) => {
    const key = SCALAR_FIELD_KEYS[field];
    if (key !== undefined) return fieldPath(path, key);
    const m = /^(source|destination)\.([a-zA-Z]+)(?:\[(\d+)\])?$/.exec(field);
    const entry = m ? ENTITY_KEYS.find(([, side, f]) => side === m[1] && f === m[2]) : undefined;
    if (!m || !entry) return fieldPath(path, field);
    const base = fieldPath(path, entry[0]);
    return m[3] === undefined ? base : fieldPath(base, Number(m[3]));
  };
}

const toStorageAction = (a: Action): string => (a === 'pass' ? 'next-tier' : a);

/** A rule as the Calico v1 backend stores it (`pass` becomes `next-tier`). */
export function ruleToStorage(rule: Rule): Record<string, unknown> {
  const out: Record<string, unknown> = { action: toStorageAction(rule.action) };
  if (rule.ipVersion !== undefined) out.ip_version = rule.ipVersion;
  if (rule.protocol !== undefined) out.protocol = rule.protocol;
  if (rule.notProtocol !== undefined) out['!protocol'] = rule.notProtocol;
  if (rule.icmp?.type !== undefined) out.icmp_type = rule.icmp.type;
  if (rule.icmp?.code !== undefined) out.icmp_code = rule.icmp.code;
  if (rule.notICMP?.type !== undefined) out['!icmp_type'] = rule.notICMP.type;
  if (rule.notICMP?.code !== undefined) out['!icmp_code'] = rule.notICMP.code;
  for (const [key, side, field] of ENTITY_KEYS) {
    const v = rule[side]?.[field];
    if (v !== undefined) out[key] = Array.isArray(v) ? [...v] : v;
  }
  return out;
}

const STORAGE_ACTIONS: Record<string, Action> = { allow: 'allow', deny: 'deny', log: 'log', 'next-tier': 'pass' };

/**
 * Reads a stored rule (already JSON-parsed), validating it with the same
 * checks as the v1 YAML. `path` prefixes field names in errors, e.g.
 * `inbound_rules[0]`. A missing action reads as allow, as in Calico.
 */
export function ruleFromStorage(json: unknown, path: string): Rule {
  const o = readObject(json, path, 'a rule (a JSON object)');
  checkKeys(o, STORAGE_RULE_KEYS, path);
  const at = (k: string): string => fieldPath(path, k);
  const get = (k: string): unknown => own(o, k);

  let action: Action = 'allow';
  if (present(get('action'))) {
    const a = get('action');
    if (typeof a !== 'string' || !Object.prototype.hasOwnProperty.call(STORAGE_ACTIONS, a)) {
      throw invalid(at('action'), a, 'action must be allow, deny, log or next-tier');
    }
    action = STORAGE_ACTIONS[a]!;
  }
  const rule: Rule = { action };
  if (present(get('ip_version'))) rule.ipVersion = checkIpVersion(get('ip_version'), at('ip_version'));
  if (present(get('protocol'))) rule.protocol = checkProtocol(get('protocol'), at('protocol'));
  if (present(get('!protocol'))) rule.notProtocol = checkProtocol(get('!protocol'), at('!protocol'));
  const icmp = (typeKey: string, codeKey: string): IcmpMatch | undefined => {
    const m: IcmpMatch = {};
    if (present(get(typeKey))) m.type = checkIcmpNumber(get(typeKey), at(typeKey), 'type');
    if (present(get(codeKey))) m.code = checkIcmpNumber(get(codeKey), at(codeKey), 'code');
    return m.type === undefined && m.code === undefined ? undefined : m;
  };
  const m = icmp('icmp_type', 'icmp_code');
  if (m) rule.icmp = m;
  const n = icmp('!icmp_type', '!icmp_code');
  if (n) rule.notICMP = n;

  for (const side of ['source', 'destination'] as const) {
    const e: EntityRule = {};
    for (const field of ENTITY_FIELDS) {
      const entry = ENTITY_KEYS.find(([, s, f]) => s === side && f === field)!;
      const raw = get(entry[0]);
      if (!present(raw)) continue;
      const value = checkEntityField(field, raw, at(entry[0]));
      if (value !== undefined) setEntityField(e, field, value);
    }
    if (Object.keys(e).length) rule[side] = e;
  }
  checkRuleConsistency(rule, storageLocator(path));
  return rule;
}

export function rulesFromStorage(json: unknown, path: string): Rule[] {
  return readList(json, path).map((r, i) => ruleFromStorage(r, fieldPath(path, i)));
}

// ---------------------------------------------------------------- v0 `rule json` / `rule update`

/** The JSON the v0 `profile <P> rule json|update` commands print and read. */
export interface ProfileRulesJson {
  /** The profile name; optional on input, always printed. */
  id?: string;
  inbound: Rule[];
  outbound: Rule[];
}

/**
 * Parses `{"id": ..., "inbound_rules": [...], "outbound_rules": [...]}`
 * (missing lists read as empty). Throws InputSyntaxError for text that is not
 * JSON and ValidationError for a bad rule, naming e.g. `inbound_rules[0].dst_ports[0]`.
 */
export function profileRulesFromJson(text: string): ProfileRulesJson {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw new InputSyntaxError(`rules are not valid JSON: ${e instanceof Error ? e.message : String(e)}`);
  }
  const o = readObject(raw, '', 'a JSON object with inbound_rules and outbound_rules');
  checkKeys(o, ['id', 'inbound_rules', 'outbound_rules'], '');
  const out: ProfileRulesJson = { inbound: [], outbound: [] };
  if (present(own(o, 'id'))) {
    const id = readString(own(o, 'id'), 'id');
    if (!isValidResourceName(id)) throw invalid('id', id, `a profile name ${RESOURCE_NAME_RULE}`);
    out.id = id;
  }
  if (present(own(o, 'inbound_rules'))) out.inbound = rulesFromStorage(o.inbound_rules, 'inbound_rules');
  if (present(own(o, 'outbound_rules'))) out.outbound = rulesFromStorage(o.outbound_rules, 'outbound_rules');
  return out;
}

/**
 * Prints profile rules as `rule json` does: id, inbound_rules, outbound_rules,
 * indented by 2, non-ASCII escaped (as Python's json.dumps). No trailing newline.
 */
export function profileRulesToJson(rules: { id: string; inbound: readonly Rule[]; outbound: readonly Rule[] }): string {
  const doc = {
    id: rules.id,
    inbound_rules: rules.inbound.map(ruleToStorage),
    outbound_rules: rules.outbound.map(ruleToStorage),
  };
  return JSON.stringify(doc, null, 2).replace(/[\u007f-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}
