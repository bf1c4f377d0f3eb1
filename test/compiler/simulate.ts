// A tiny interpreter for the iptables rules the compiler writes, so tests can
// check what a rendered policy chain does to a packet rather than only how it
// reads. It understands exactly the fragments compiler/iptables/match.ts and
// actions.ts produce and fails loudly on anything else.
import { cidrContains, parseCidr, parseIpAddress } from '../../src/model/net.js';

export interface Packet {
  src: string;
  dst: string;
  /** Protocol number. */
  proto: number;
  sport?: number;
  dport?: number;
  icmpType?: number;
  icmpCode?: number;
  /** Interfaces the packet came in on / goes out of (for -i / -o); absent matches no name. */
  iif?: string;
  oif?: string;
}

export type Verdict = 'drop' | 'return' | 'accept' | 'fallthrough';

export interface SimResult {
  verdict: Verdict;
  mark: number;
  logged: number;
}

const PROTOS: Record<string, number> = { tcp: 6, udp: 17, icmp: 1, icmpv6: 58, sctp: 132, udplite: 136 };

function tokenize(spec: string): string[] {
  const out: string[] = [];
  const re = /"([^"]*)"|(\S+)/g;
  let m: RegExpExecArray | null;
  while ((m = re.exec(spec))) out.push(m[1] ?? m[2]!);
  return out;
}

function portIn(port: number | undefined, list: string): boolean {
  if (port === undefined) return false;
  return list.split(',').some((p) => {
    const [a, b] = p.split(':').map(Number);
    return b === undefined ? port === a : port >= a! && port <= b;
  });
}

function inNet(addr: string, cidr: string): boolean {
  const ip = parseIpAddress(addr);
  const net = parseCidr(cidr, { allowBareAddress: true });
  if (!ip || !net) throw new Error(`bad address ${addr} or net ${cidr}`);
  return cidrContains(net, ip);
}

/** `-i`/`-o` as iptables matches them: exact, or a prefix when the name ends in `+`. */
function ifaceIs(actual: string | undefined, pattern: string): boolean {
  if (actual === undefined) return false;
  return pattern.endsWith('+') ? actual.startsWith(pattern.slice(0, -1)) : actual === pattern;
}

interface RuleOutcome {
  matched: boolean;
  /** `-j` (jump, or a built-in target) or `--goto`. */
  how?: '-j' | '--goto';
  target?: string;
  targetArgs: string[];
}

/** Evaluates one rule spec's match part on a packet with the given mark. */
function evalRule(spec: string, pkt: Packet, ipSets: Record<string, string[]>, mark: number): RuleOutcome {
  const t = tokenize(spec);
  let i = 0;
  let ok = true;
  let neg = false;
  while (i < t.length) {
    const tok = t[i++]!;
    if (tok === '!') {
      neg = true;
      continue;
    }
    const test = (v: boolean): void => {
      if (neg ? v : !v) ok = false;
      neg = false;
    };
    if (tok === '-m') {
      const mod = t[i++]!;
      if (mod === 'comment') {
        i += 2;
        continue;
      }
      if (t[i] === '!') {
        neg = true;
        i++;
      }
      const opt = t[i++]!;
      if (mod === 'mark' && opt === '--mark') {
        const [v, m] = t[i++]!.split('/').map((x) => Number(x));
        test(((mark & m!) >>> 0) === v);
      } else if (mod === 'multiport') {
        const list = t[i++]!;
        test(portIn(opt === '--source-ports' ? pkt.sport : pkt.dport, list));
      } else if (mod === 'set' && opt === '--match-set') {
        const name = t[i++]!;
        const dir = t[i++]!;
        const members = ipSets[name];
        if (!members) throw new Error(`unknown set ${name}`);
        test(members.some((mem) => inNet(dir === 'src' ? pkt.src : pkt.dst, mem)));
      } else if ((mod === 'icmp' && opt === '--icmp-type') || (mod === 'icmp6' && opt === '--icmpv6-type')) {
        const [ty, co] = t[i++]!.split('/').map(Number);
        const want = mod === 'icmp' ? 1 : 58;
        test(pkt.proto === want && pkt.icmpType === ty && (co === undefined || pkt.icmpCode === co));
      } else if (mod === 'conntrack') {
        i++;
        test(false); // simulated packets are always new
      } else throw new Error(`unknown match -m ${mod} ${opt}`);
    } else if (tok === '-p') {
      const p = t[i++]!;
      test(pkt.proto === (PROTOS[p] ?? Number(p)));
    } else if (tok === '-s' || tok === '-d') {
      test(inNet(tok === '-s' ? pkt.src : pkt.dst, t[i++]!));
    } else if (tok === '-i' || tok === '-o') {
      test(ifaceIs(tok === '-i' ? pkt.iif : pkt.oif, t[i++]!));
    } else if (tok === '-j' || tok === '--goto') {
      return { matched: ok, how: tok, target: t[i], targetArgs: t.slice(i + 1) };
    } else throw new Error(`unknown token ${tok} in ${spec}`);
  }
  return { matched: ok, targetArgs: [] };
}

function applyMark(mark: number, args: string[], spec: string): number {
  if (args[0] !== '--set-mark') throw new Error(`bad MARK ${spec}`);
  const [v, m] = args[1]!.split('/').map((x) => Number(x));
  return (((mark & ~m!) >>> 0) | v!) >>> 0;
}

/** Runs `specs` (rule specs of one chain, as in RenderedRule.spec) on a packet. */
export function simulate(specs: string[], pkt: Packet, ipSets: Record<string, string[]> = {}, initialMark = 0): SimResult {
  let mark = initialMark >>> 0;
  let logged = 0;
  for (const spec of specs) {
    const r = evalRule(spec, pkt, ipSets, mark);
    if (!r.matched) continue;
    switch (r.target) {
      case 'MARK':
        mark = applyMark(mark, r.targetArgs, spec);
        break;
      case 'LOG':
        logged++;
        break;
      case 'RETURN':
        return { verdict: 'return', mark, logged };
      case 'DROP':
        return { verdict: 'drop', mark, logged };
      case 'ACCEPT':
        return { verdict: 'accept', mark, logged };
      default:
        throw new Error(`unsupported target ${r.target} in ${spec}`);
    }
  }
  return { verdict: 'fallthrough', mark, logged };
}

export interface WalkResult {
  /** accept/drop: a terminal verdict; fallthrough: the start chain returned to the kernel chain. */
  verdict: 'accept' | 'drop' | 'fallthrough';
  mark: number;
  logged: number;
  /** The chains entered, in order. */
  trace: string[];
}

/**
 * Runs a packet through a set of chains from `start`, following `-j <chain>`
 * (the packet comes back unless the chain decided) and `--goto <chain>` (when
 * that chain returns, the calling chain returns too), as the kernel does.
 */
export function walk(
  chains: ReadonlyMap<string, readonly string[]>,
  start: string,
  pkt: Packet,
  ipSets: Record<string, string[]> = {},
  initialMark = 0,
): WalkResult {
  let mark = initialMark >>> 0;
  let logged = 0;
  const trace: string[] = [];
  const run = (name: string, depth: number): 'return' | 'accept' | 'drop' => {
    const specs = chains.get(name);
    if (!specs) throw new Error(`no chain ${name}`);
    if (depth > 20) throw new Error(`chain loop at ${name}`);
    trace.push(name);
    for (const spec of specs) {
      const r = evalRule(spec, pkt, ipSets, mark);
      if (!r.matched) continue;
      switch (r.target) {
        case 'MARK':
          mark = applyMark(mark, r.targetArgs, spec);
          continue;
        case 'LOG':
          logged++;
          continue;
        case 'RETURN':
          return 'return';
        case 'DROP':
          return 'drop';
        case 'ACCEPT':
          return 'accept';
        case undefined:
          throw new Error(`rule without a target: ${spec}`);
        default: {
          const out = run(r.target, depth + 1);
          if (out !== 'return') return out;
          if (r.how === '--goto') return 'return';
        }
      }
    }
    return 'return';
  };
  const out = run(start, 0);
  return { verdict: out === 'return' ? 'fallthrough' : out, mark, logged, trace };
}
