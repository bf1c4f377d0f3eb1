// Rule resolution (Felix's rule scanner, the pure part): tags and selectors in a rule become IP
// set ids, nets and ports are flattened into the compiler's ResolvedRule.
//
// A side's tag and selector combine into one positive selector, "(sel) && has(tag)". With a
// positive selector the negative matches filter it ("(pos) && (!(notsel))", then
// "(pos) && (!has(nottag))"), since the rule can only match known endpoints anyway; without
// one, each negative match is its own negated set. The texts are Felix's, so the canonical
// forms and set ids are the ones Calico computes.
import type { EntityRule, Port, Rule } from '../model/types.js';
import type { Selector } from '../selector/types.js';
import type { ResolvedRule, RuleSet } from '../../compiler/desired-state.js';
import { CalcInputError } from './errors.js';

export type SelectorParser = (text: string) => Selector;

/** A rule list resolved once per datastore update, ready to be used by any number of endpoints. */
export interface PreparedRules {
  ruleSet: RuleSet;
  /** Every IP set the rules use, by id. */
  ipSets: ReadonlyMap<string, Selector>;
  /** Stable text of ruleSet, to tell a real change from a re-sent value. */
  readonly fingerprint: string;
}

const nonEmpty = (s: string | undefined): string | undefined => (s === undefined || s === '' ? undefined : s);

/** `where` names the rule for error messages, e.g. `policy "p" inbound rule 2`. */
export function prepareRules(
  where: string,
  inbound: readonly Rule[],
  outbound: readonly Rule[],
  parse: SelectorParser,
): PreparedRules {
  const ipSets = new Map<string, Selector>();
  const ruleSet: RuleSet = {
    inbound: inbound.map((r, i) => resolveRule(r, `${where} inbound rule ${i + 1}`, ipSets, parse)),
    outbound: outbound.map((r, i) => resolveRule(r, `${where} outbound rule ${i + 1}`, ipSets, parse)),
  };
  // Computed on first use: only a re-sent value is ever compared with what it replaces.
  let fingerprint: string | undefined;
  return {
    ruleSet,
    ipSets,
    get fingerprint(): string {
      return (fingerprint ??= JSON.stringify(ruleSet));
    },
  };
}

function resolveRule(rule: Rule, where: string, ipSets: Map<string, Selector>, parse: SelectorParser): ResolvedRule {
  const src = resolveSide(rule.source, `${where} source`, ipSets, parse);
  const dst = resolveSide(rule.destination, `${where} destination`, ipSets, parse);
  // Fixed key order and no undefined-valued keys: the fingerprint and deep comparisons rely on it.
  const out: ResolvedRule = { action: rule.action } as ResolvedRule;
  if (rule.ipVersion !== undefined) out.ipVersion = rule.ipVersion;
  if (rule.protocol !== undefined) out.protocol = rule.protocol;
  if (rule.notProtocol !== undefined) out.notProtocol = rule.notProtocol;
  if (rule.icmp?.type !== undefined) out.icmpType = rule.icmp.type;
  if (rule.icmp?.code !== undefined) out.icmpCode = rule.icmp.code;
  if (rule.notICMP?.type !== undefined) out.notIcmpType = rule.notICMP.type;
  if (rule.notICMP?.code !== undefined) out.notIcmpCode = rule.notICMP.code;
  out.srcNets = src.nets;
  out.dstNets = dst.nets;
  out.notSrcNets = src.notNets;
  out.notDstNets = dst.notNets;
  out.srcPorts = src.ports;
  out.dstPorts = dst.ports;
  out.notSrcPorts = src.notPorts;
  out.notDstPorts = dst.notPorts;
  out.srcIpSetIds = src.ipSetIds;
  out.dstIpSetIds = dst.ipSetIds;
  out.notSrcIpSetIds = src.notIpSetIds;
  out.notDstIpSetIds = dst.notIpSetIds;
  return out;
}

interface ResolvedSide {
  nets: string[];
  notNets: string[];
  ports: Port[];
  notPorts: Port[];
  ipSetIds: string[];
  notIpSetIds: string[];
}

function mergeNets(net: string | undefined, nets: readonly string[] | undefined): string[] {
  const out: string[] = [];
  if (net !== undefined && net !== '') out.push(net);
  for (const n of nets ?? []) if (!out.includes(n)) out.push(n);
  return out;
}

function resolveSide(
  e: EntityRule | undefined,
  where: string,
  ipSets: Map<string, Selector>,
  parse: SelectorParser,
): ResolvedSide {
  const side: ResolvedSide = {
    nets: mergeNets(e?.net, e?.nets),
    notNets: mergeNets(e?.notNet, e?.notNets),
    ports: e?.ports ? [...e.ports] : [],
    notPorts: e?.notPorts ? [...e.notPorts] : [],
    ipSetIds: [],
    notIpSetIds: [],
  };
  if (!e) return side;
  const tag = nonEmpty(e.tag);
  const sel = nonEmpty(e.selector);
  const notTag = nonEmpty(e.notTag);
  const notSel = nonEmpty(e.notSelector);
  // Each piece on its own first, so an error names the field the user wrote.
  const parsed = new Map<string, Selector>();
  const piece = (text: string, field: string, value: string): void => {
    parsed.set(text, check(text, field, value, parse));
  };
  if (tag !== undefined) piece(`has(${tag})`, `${where} tag`, tag);
  if (sel !== undefined) piece(sel, `${where} selector`, sel);
  if (notTag !== undefined) piece(`has(${notTag})`, `${where} notTag`, notTag);
  if (notSel !== undefined) piece(notSel, `${where} notSelector`, notSel);

  const register = (text: string, into: string[]): void => {
    const s = parsed.get(text) ?? check(text, where, text, parse);
    const id = s.uniqueId();
    if (!ipSets.has(id)) ipSets.set(id, s);
    if (!into.includes(id)) into.push(id);
  };
  let positive: string | undefined;
  if (sel !== undefined && tag !== undefined) positive = `(${sel}) && has(${tag})`;
  else if (tag !== undefined) positive = `has(${tag})`;
  else positive = sel;
  if (positive !== undefined) {
    if (notSel !== undefined) positive = `(${positive}) && (!(${notSel}))`;
    if (notTag !== undefined) positive = `(${positive}) && (!has(${notTag}))`;
    register(positive, side.ipSetIds);
  } else {
    if (notSel !== undefined) register(notSel, side.notIpSetIds);
    if (notTag !== undefined) register(`has(${notTag})`, side.notIpSetIds);
  }
  return side;
}

function check(text: string, field: string, value: string, parse: SelectorParser): Selector {
  try {
    return parse(text);
  } catch (err) {
    const why = err instanceof Error ? err.message : String(err);
    throw new CalcInputError(`${field} ${JSON.stringify(value)} is not a valid selector: ${why}`);
  }
}
