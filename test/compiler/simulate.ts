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

/** Runs `specs` (rule specs of one chain, as in RenderedRule.spec) on a packet. */
export function simulate(specs: string[], pkt: Packet, ipSets: Record<string, string[]> = {}, initialMark = 0): SimResult {
  let mark = initialMark >>> 0;
  let logged = 0;
  for (const spec of specs) {
    const t = tokenize(spec);
    let i = 0;
    let ok = true;
    let neg = false;
    let target: string | undefined;
    let targetArgs: string[] = [];
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
      } else if (tok === '-j' || tok === '--goto') {
        target = t[i++];
        targetArgs = t.slice(i);
        break;
      } else throw new Error(`unknown token ${tok} in ${spec}`);
    }
    if (!ok) continue;
    switch (target) {
      case 'MARK': {
        if (targetArgs[0] !== '--set-mark') throw new Error(`bad MARK ${spec}`);
        const [v, m] = targetArgs[1]!.split('/').map((x) => Number(x));
        mark = (((mark & ~m!) >>> 0) | v!) >>> 0;
        break;
      }
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
        throw new Error(`unsupported target ${target} in ${spec}`);
    }
  }
  return { verdict: 'fallthrough', mark, logged };
}
