// The probe matrix: TCP connect, UDP request/response and ICMP echo between
// namespaces of a TestNetwork, compared with an expected allow/deny table.
//
//   const report = await checkMatrix(net, `
//     # from     to        probe     expect
//     client     server    tcp:80    allow
//     server     client    tcp:80    deny
//     client     server    icmp      deny
//   `);
//   t.equal(report, '', 'traffic matches policy');
import type { Outcome } from './ns-agent.js';
import type { TestNetwork } from './netns.js';

export type ProbeProto = 'tcp' | 'udp' | 'icmp';

export interface Probe {
  /** Workload name, or 'host' for the host namespace. */
  from: string;
  /** Workload name. */
  to: string;
  proto: ProbeProto;
  port?: number;
}

export interface ProbeResult extends Probe {
  outcome: Outcome;
  detail?: string;
}

export interface Expectation extends Probe {
  expect: 'allow' | 'deny';
}

export interface ProbeOptions {
  /** How long a probe waits before calling the path denied (default 1500 ms). */
  timeoutMs?: number;
}

export const probeLabel = (p: Probe): string => `${p.from} -> ${p.to} ${p.proto}${p.port === undefined ? '' : `:${p.port}`}`;

/** Parses lines of `from to proto[:port] allow|deny`; `#` starts a comment. */
export function parseExpectations(table: string): Expectation[] {
  const out: Expectation[] = [];
  for (const [i, raw] of table.split('\n').entries()) {
    const line = raw.replace(/#.*/, '').trim();
    if (line === '') continue;
    const words = line.split(/\s+/);
    const m = words.length === 4 ? /^(tcp|udp):(\d{1,5})$|^(icmp)$/.exec(words[2]!) : null;
    if (!m || (words[3] !== 'allow' && words[3] !== 'deny')) {
      throw new Error(`expectation line ${i + 1}: want "from to tcp:PORT|udp:PORT|icmp allow|deny": ${JSON.stringify(raw.trim())}`);
    }
    out.push({
      from: words[0]!,
      to: words[1]!,
      proto: (m[1] ?? m[3]) as ProbeProto,
      port: m[2] === undefined ? undefined : Number(m[2]),
      expect: words[3],
    });
  }
  return out;
}

/** Starts listeners on every target port the probes need, then runs all probes in parallel. */
export async function runProbes(net: TestNetwork, probes: readonly Probe[], options: ProbeOptions = {}): Promise<ProbeResult[]> {
  const timeoutMs = options.timeoutMs ?? 1500;
  const ports = new Map<string, { tcp: Set<number>; udp: Set<number> }>();
  for (const p of probes) {
    if (p.proto === 'icmp') continue;
    if (p.port === undefined) throw new Error(`probe ${probeLabel(p)}: needs a port`);
    const entry = ports.get(p.to) ?? { tcp: new Set(), udp: new Set() };
    entry[p.proto].add(p.port);
    ports.set(p.to, entry);
  }
  for (const [to, { tcp, udp }] of ports) await (await net.agent(to)).listen([...tcp], [...udp]);
  const sources = [...new Set(probes.map((p) => p.from))];
  for (const from of sources) await net.agent(from);
  return Promise.all(probes.map(async (p) => {
    const agent = await net.agent(p.from);
    const answer = await agent.probe(p.proto, net.addressOf(p.to), p.port, timeoutMs);
    return { ...p, ...answer };
  }));
}

/** '' when every result matches its expectation, else a table of the mismatches. */
export function compareProbes(results: readonly ProbeResult[], expected: readonly Expectation[]): string {
  const lines: string[] = [];
  expected.forEach((e, i) => {
    const r = results[i];
    if (!r || r.outcome !== e.expect) {
      const got = r ? `${r.outcome}${r.detail ? ` (${r.detail})` : ''}` : 'not probed';
      lines.push(`  ${probeLabel(e).padEnd(36)} expected ${e.expect.padEnd(5)} got ${got}`);
    }
  });
  return lines.length === 0 ? '' : `${lines.length} of ${expected.length} probes differ:\n${lines.join('\n')}\n`;
}

/** Runs the probes of an expectation table and returns compareProbes' report. */
export async function checkMatrix(net: TestNetwork, table: string | readonly Expectation[], options?: ProbeOptions): Promise<string> {
  const expected = typeof table === 'string' ? parseExpectations(table) : table;
  const results = await runProbes(net, expected, options);
  return compareProbes(results, expected);
}
