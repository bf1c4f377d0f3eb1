// The scratch-mark blocks on real packets: a rule whose CIDRs and ports
// overflow one iptables rule is rendered as blocks that OR and AND through two
// mark bits. Here such rules are loaded into a network namespace the test
// creates, UDP packets between addresses on its loopback are sent through
// them, and each packet's fate is compared with what the rule means (and
// with the test simulator, so the simulator is checked against the kernel).
// A matched packet gets the accept mark, and OUTPUT then drops it, which the
// sender sees as EPERM.
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import t from 'tap';
import { resolveCompilerConfig } from '../../compiler/config.js';
import type { ResolvedRule } from '../../compiler/desired-state.js';
import { renderChain } from '../../compiler/iptables/chain.js';
import { renderPolicyRule } from '../../compiler/render/rule-renderer.js';
import { cidrContains, parseCidr, parseIpAddress } from '../../src/model/net.js';
import { simulate } from './simulate.js';
import { rule } from './state-builder.js';

function run(cmd: string, args: string[], input?: string): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(cmd, args, { input, encoding: 'utf8' });
  if (r.error) return { status: -1, stdout: '', stderr: String(r.error) };
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

const isRoot = process.getuid?.() === 0;
const backend = /\(nf_tables\)/.test(run('iptables', ['--version']).stdout) ? 'nft' : 'legacy';
const restoreTool = `iptables-${backend}-restore`;
const missing = ['ip', restoreTool].filter((c) => run('which', [c]).status !== 0);

const CHAIN = 'cali-pi-blocks';
const SRCS = ['198.18.1.5', '198.18.2.5', '198.18.2.200', '198.18.3.5'];
const DSTS = ['198.18.10.5', '198.18.11.5', '198.18.12.5'];
const DPORTS = [1, 16, 20, 5000];

interface Send {
  src: string;
  dst: string;
  dport: number;
}

const inAny = (addr: string, nets: readonly string[]): boolean => {
  const ip = parseIpAddress(addr)!;
  return nets.some((n) => cidrContains(parseCidr(n)!, ip));
};
const portIn = (port: number, ports: readonly (number | string)[]): boolean =>
  ports.some((p) => {
    const [a, b] = String(p).split(':').map(Number);
    return b === undefined ? port === a : port >= a! && port <= b;
  });

/** What the (UDP) rule means for a UDP packet. */
function means(r: ResolvedRule, s: Send): boolean {
  if (r.srcNets.length > 0 && !inAny(s.src, r.srcNets)) return false;
  if (r.dstNets.length > 0 && !inAny(s.dst, r.dstNets)) return false;
  if (inAny(s.src, r.notSrcNets) || inAny(s.dst, r.notDstNets)) return false;
  if (r.dstPorts.length > 0 && !portIn(s.dport, r.dstPorts)) return false;
  if (portIn(s.dport, r.notDstPorts)) return false;
  return true;
}

const manyPorts = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, '16:17'];
const RULES: [string, ResolvedRule][] = [
  [
    'two port splits, two source nets, two dest nets, two negated source nets',
    rule({
      action: 'allow',
      protocol: 'udp',
      dstPorts: manyPorts,
      srcNets: ['198.18.1.0/24', '198.18.2.0/24'],
      dstNets: ['198.18.10.0/24', '198.18.11.0/24'],
      notSrcNets: ['198.18.2.128/25', '198.18.9.0/24'],
    }),
  ],
  [
    'one source net inline with a negated one as a block, dest ports split, negated dest ports',
    rule({
      action: 'allow',
      protocol: 'udp',
      srcNets: ['198.18.0.0/16'],
      notSrcNets: ['198.18.3.0/24'],
      dstPorts: [...manyPorts, 5000],
      notDstPorts: [16],
    }),
  ],
  [
    'several negated dest nets only',
    rule({ action: 'allow', protocol: 'udp', notDstNets: ['198.18.10.0/24', '198.18.12.0/24'] }),
  ],
];

// Runs inside the namespace: sends one datagram per case from its source
// address and prints which sends the kernel refused (EPERM: dropped in OUTPUT).
const SENDER = `
const dgram = require('node:dgram');
const cases = JSON.parse(process.argv[1]);
(async () => {
  const out = [];
  for (const c of cases) {
    out.push(await new Promise((resolve) => {
      const s = dgram.createSocket('udp4');
      s.on('error', (e) => { s.close(); resolve(e.code); });
      s.bind(0, c.src, () => s.send('x', c.dport, c.dst, (err) => { s.close(); resolve(err ? err.code : 'sent'); }));
    }));
  }
  console.log(JSON.stringify(out));
})();
`;

if (!isRoot) {
  t.plan(0, 'scratch-mark blocks on real packets need root (network namespaces, iptables): not running as root');
} else if (missing.length > 0) {
  t.plan(0, `scratch-mark blocks on real packets need ${missing.join(', ')}: not installed`);
} else {
  t.test('blocks decide real packets as the rule means', async (t) => {
    const ns = `tabby-t-${randomBytes(4).toString('hex')}`;
    t.equal(run('ip', ['netns', 'add', ns]).status, 0, `created namespace ${ns}`);
    t.teardown(() => {
      const del = run('ip', ['netns', 'del', ns]);
      if (del.status !== 0) throw new Error(`could not delete namespace ${ns}: ${del.stderr}`);
    });
    const inNs = (cmd: string, args: string[], input?: string) => run('ip', ['netns', 'exec', ns, cmd, ...args], input);
    t.equal(inNs('ip', ['link', 'set', 'lo', 'up']).status, 0);
    for (const a of [...SRCS, ...DSTS]) t.equal(inNs('ip', ['addr', 'add', `${a}/32`, 'dev', 'lo']).status, 0, `address ${a}`);

    const cfg = resolveCompilerConfig();
    const sends: Send[] = [];
    for (const src of SRCS) for (const dst of DSTS) for (const dport of DPORTS) sends.push({ src, dst, dport });

    for (const [what, r] of RULES) {
      const specs = renderChain({ name: CHAIN, rules: renderPolicyRule(r, 4, cfg, what).rules }).rules.map((x) => x.spec);
      t.ok(specs.some((s) => s.includes('0x40000/0xc0000') || s.includes('0x0/0xc0000')), `${what}: rendered with blocks`);
      const input = [
        '*filter',
        `:${CHAIN} - [0:0]`,
        ...specs.map((s) => `-A ${CHAIN} ${s}`),
        // Stale scratch bits on arrival must not matter: the first block resets them.
        '-A OUTPUT -o lo -p udp -j MARK --set-mark 0xc0000/0xc0000',
        `-A OUTPUT -o lo -p udp -j ${CHAIN}`,
        '-A OUTPUT -o lo -p udp -m mark --mark 0x10000/0x10000 -j DROP',
        'COMMIT',
        '',
      ].join('\n');
      const load = inNs(restoreTool, [], input);
      t.equal(load.status, 0, `${what}: loaded ${load.stderr}`);
      if (load.status !== 0) continue;
      const res = inNs(process.execPath, ['-e', SENDER, JSON.stringify(sends)]);
      t.equal(res.status, 0, `sender ran ${res.stderr}`);
      const outcomes = JSON.parse(res.stdout) as string[];
      let matched = 0;
      for (const [i, s] of sends.entries()) {
        const kernel = outcomes[i] === 'EPERM';
        if (outcomes[i] !== 'EPERM' && outcomes[i] !== 'sent') t.fail(`${what}: unexpected send outcome ${outcomes[i]}`);
        const want = means(r, s);
        const sim = simulate(specs, { src: s.src, dst: s.dst, proto: 17, sport: 1, dport: s.dport }, {}, 0xc0000).verdict === 'return';
        if (kernel !== want || sim !== want) t.fail(`${what}: ${JSON.stringify(s)} means ${want}, kernel ${kernel}, simulator ${sim}\n${specs.join('\n')}`);
        if (kernel) matched++;
      }
      t.ok(matched > 0 && matched < sends.length, `${what}: ${matched} of ${sends.length} packets match, as the rule means`);
    }
  });
}
