// Host-side plumbing for local workloads: a host route to each workload IP
// through its cali interface, a permanent neighbour entry with its MAC (the
// host has no ARP partner on a veth, see DESIGN.md 8), and proxy_arp/forwarding
// on the interface.
//
// Ownership: every route and neighbour entry Tabby writes carries the routing
// protocol number `routeProtocol` (default 80, unassigned in
// /etc/iproute2/rt_protos), and only entries carrying it are ever changed or
// removed. Interface sysctls are not reset when an endpoint goes: they belong
// to the veth and disappear with it.
import type { LocalEndpoint } from '../compiler/desired-state.js';
import { canonicalCidr, parseCidr } from './ip-address.js';
import type { CommandRunner } from './runner.js';
import { CommandError } from './runner.js';
import { DataplaneInputError } from './validate.js';

export const DEFAULT_ROUTE_PROTOCOL = 80;

export interface WorkloadRoute {
  /** Canonical host address (no /32 or /128). */
  dst: string;
  dev: string;
}

export interface WorkloadNeighbour {
  ip: string;
  dev: string;
  mac: string;
}

export interface PlumbingState {
  /** Names of the interfaces that exist. */
  links: Set<string>;
  /** Routes in the main table with our protocol number. */
  routes: WorkloadRoute[];
  /** Permanent neighbour entries with our protocol number. */
  neighbours: WorkloadNeighbour[];
}

export interface PlumbingResult {
  routesAdded: WorkloadRoute[];
  routesRemoved: WorkloadRoute[];
  neighboursAdded: WorkloadNeighbour[];
  neighboursRemoved: WorkloadNeighbour[];
  /** `key=value` sysctls written. */
  sysctlsSet: string[];
  /** Interfaces of local endpoints that do not exist (yet): retry later. */
  pendingInterfaces: string[];
  /** Every command that changed something, as argv. */
  commands: string[][];
}

export class PlumbingError extends Error {
  constructor(readonly result: PlumbingResult, readonly failures: CommandError[]) {
    super(`workload plumbing: ${failures.length} command(s) failed: ${failures.map((f) => f.message).join('; ')}`);
    this.name = 'PlumbingError';
  }
}

export interface PlumbingOptions {
  routeProtocol?: number;
}

function protocolOf(options: PlumbingOptions): string {
  const proto = options.routeProtocol ?? DEFAULT_ROUTE_PROTOCOL;
  if (!Number.isInteger(proto) || proto < 1 || proto > 255) {
    throw new DataplaneInputError('plumbing.routeProtocol', proto, 'must be an integer from 1 to 255');
  }
  return String(proto);
}

const IFACE = /^[a-zA-Z0-9_-]{1,15}$/;
const MAC = /^[0-9a-fA-F]{2}(:[0-9a-fA-F]{2}){5}$/;

interface DesiredPlumbing {
  routes: WorkloadRoute[];
  neighbours: WorkloadNeighbour[];
  /** Interfaces that need sysctls, with the endpoints' IPs of this family. */
  interfaces: Set<string>;
}

/** Validates endpoints and lists what this family needs for them. */
export function desiredPlumbing(endpoints: Iterable<LocalEndpoint>, ipVersion: 4 | 6): DesiredPlumbing {
  const routes: WorkloadRoute[] = [];
  const neighbours: WorkloadNeighbour[] = [];
  const interfaces = new Set<string>();
  const seen = new Set<string>();
  const sorted = [...endpoints].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  for (const ep of sorted) {
    const f = `endpoints[${JSON.stringify(ep.id)}]`;
    if (typeof ep.interfaceName !== 'string' || !IFACE.test(ep.interfaceName)) {
      throw new DataplaneInputError(`${f}.interfaceName`, ep.interfaceName, 'must be 1-15 characters of [a-zA-Z0-9_-]');
    }
    if (ep.mac !== undefined && (typeof ep.mac !== 'string' || !MAC.test(ep.mac))) {
      throw new DataplaneInputError(`${f}.mac`, ep.mac, 'must be a MAC address like 02:00:c6:12:00:02');
    }
    const field = ipVersion === 4 ? 'ipv4Nets' : 'ipv6Nets';
    const nets = ep[field];
    if (!Array.isArray(nets)) throw new DataplaneInputError(`${f}.${field}`, nets, 'must be a list');
    nets.forEach((net, i) => {
      const c = typeof net === 'string' ? parseCidr(net, ipVersion) : undefined;
      if (!c || c.prefix !== (ipVersion === 4 ? 32 : 128)) {
        throw new DataplaneInputError(`${f}.${field}[${i}]`, net, `must be an IPv${ipVersion} /${ipVersion === 4 ? 32 : 128}`);
      }
    });
    for (const net of nets) {
      const dst = canonicalCidr(net, ipVersion)!;
      // Two endpoints claiming one IP: the first by id keeps it.
      if (seen.has(dst)) continue;
      seen.add(dst);
      interfaces.add(ep.interfaceName);
      routes.push({ dst, dev: ep.interfaceName });
      if (ep.mac) neighbours.push({ ip: dst, dev: ep.interfaceName, mac: ep.mac.toLowerCase() });
    }
  }
  return { routes, neighbours, interfaces };
}

function parseJsonList(text: string, what: string): Record<string, unknown>[] {
  const trimmed = text.trim();
  if (trimmed === '') return [];
  const parsed: unknown = JSON.parse(trimmed);
  if (!Array.isArray(parsed)) throw new Error(`${what}: expected a JSON list`);
  return parsed as Record<string, unknown>[];
}

export async function readPlumbing(
  runner: CommandRunner,
  ipVersion: 4 | 6,
  options: PlumbingOptions = {},
): Promise<PlumbingState> {
  const proto = protocolOf(options);
  const fam = ipVersion === 4 ? '-4' : '-6';
  const [links, routes, neigh] = await Promise.all([
    runner.run('ip', ['-j', 'link', 'show']),
    runner.run('ip', [fam, '-j', 'route', 'show', 'table', 'main', 'proto', proto]),
    runner.run('ip', [fam, '-j', 'neigh', 'show', 'nud', 'permanent', 'proto', proto]),
  ]);
  return {
    links: new Set(parseJsonList(links.stdout, 'ip link').map((l) => String(l.ifname))),
    routes: parseJsonList(routes.stdout, 'ip route')
      .filter((r) => typeof r.dst === 'string' && typeof r.dev === 'string')
      .map((r) => ({ dst: canonicalCidr(r.dst as string, ipVersion) ?? (r.dst as string), dev: r.dev as string })),
    neighbours: parseJsonList(neigh.stdout, 'ip neigh')
      .filter((n) => typeof n.dst === 'string' && typeof n.dev === 'string')
      .map((n) => ({
        ip: canonicalCidr(n.dst as string, ipVersion) ?? (n.dst as string),
        dev: n.dev as string,
        mac: typeof n.lladdr === 'string' ? n.lladdr.toLowerCase() : '',
      })),
  };
}

const sysctlKeys = (iface: string, ipVersion: 4 | 6): string[] => ipVersion === 4
  ? [`net.ipv4.conf.${iface}.proxy_arp`, `net.ipv4.conf.${iface}.forwarding`]
  : [`net.ipv6.conf.${iface}.forwarding`];

const missingDevice = (err: CommandError): boolean => /Cannot find device|No such device/i.test(err.stderr);

/** One route or neighbour change: `ip` arguments, and the interface it needs (for pending). */
interface IpCommand {
  args: string[];
  dev: string;
  /** Skip it when its interface is found missing by an earlier command (adds only). */
  skipIfPending: boolean;
}

/**
 * From this many commands on, they run as one `ip -batch` (a start-up with hundreds of
 * workloads would otherwise start hundreds of processes, each costing a fork of the agent's
 * large heap); fewer run one `ip` each.
 */
export const IP_BATCH_MIN = 8;

/** Each `Command failed -:N` of `ip -batch -force` stderr, with the messages printed before it. */
function batchFailures(stderr: string): Map<number, string> {
  const out = new Map<number, string>();
  let messages: string[] = [];
  for (const line of stderr.split('\n')) {
    const m = /^Command failed -:(\d+)\s*$/.exec(line);
    if (m) {
      out.set(Number(m[1]), messages.join('\n'));
      messages = [];
    } else if (line.trim() !== '') {
      messages.push(line);
    }
  }
  return out;
}

/**
 * Runs the commands in order and reports, for each, null (done), a CommandError, or 'skipped'
 * (run one by one, an add whose interface an earlier command found missing is not tried).
 * A batch runs with -force, so one failure does not stop the rest, as when run one by one.
 */
async function runIpCommands(
  runner: CommandRunner,
  fam: string,
  commands: IpCommand[],
  pending: Set<string>,
): Promise<(CommandError | null | 'skipped')[]> {
  if (commands.length < IP_BATCH_MIN) {
    const out: (CommandError | null | 'skipped')[] = [];
    for (const c of commands) {
      if (c.skipIfPending && pending.has(c.dev)) { out.push('skipped'); continue; }
      try {
        await runner.run('ip', c.args);
        out.push(null);
      } catch (err) {
        if (!(err instanceof CommandError)) throw err;
        if (c.skipIfPending && missingDevice(err)) pending.add(c.dev);
        out.push(err);
      }
    }
    return out;
  }
  // Every word was validated (interface names, canonical addresses, MACs), so a line is safe.
  const input = commands.map((c) => c.args.slice(1).join(' ')).join('\n') + '\n';
  try {
    await runner.run('ip', [fam, '-force', '-batch', '-'], { input });
    return commands.map(() => null);
  } catch (err) {
    if (!(err instanceof CommandError)) throw err;
    const failed = batchFailures(err.stderr);
    // Nothing attributable (ip did not run at all, say): count every command as failed.
    if (failed.size === 0) return commands.map((c) => new CommandError('ip', c.args, err.exitCode, '', err.stderr, err.message));
    return commands.map((c, i) => {
      const why = failed.get(i + 1);
      return why === undefined ? null : new CommandError('ip', c.args, err.exitCode, '', `${why}\n`);
    });
  }
}

/** Brings routes, neighbours and sysctls in line with `endpoints` for one family. */
export async function syncWorkloadPlumbing(
  runner: CommandRunner,
  ipVersion: 4 | 6,
  endpoints: Iterable<LocalEndpoint>,
  options: PlumbingOptions = {},
): Promise<PlumbingResult> {
  const proto = protocolOf(options);
  const want = desiredPlumbing(endpoints, ipVersion);
  const have = await readPlumbing(runner, ipVersion, options);
  const fam = ipVersion === 4 ? '-4' : '-6';
  const result: PlumbingResult = {
    routesAdded: [], routesRemoved: [], neighboursAdded: [], neighboursRemoved: [],
    sysctlsSet: [], pendingInterfaces: [], commands: [],
  };
  const failures: CommandError[] = [];
  const pending = new Set<string>([...want.interfaces].filter((i) => !have.links.has(i)));

  const routeKey = (r: WorkloadRoute): string => `${r.dst} ${r.dev}`;
  const neighKey = (n: WorkloadNeighbour): string => `${n.ip} ${n.dev} ${n.mac}`;
  const wantRoutes = new Set(want.routes.map(routeKey));
  const haveRoutes = new Set(have.routes.map(routeKey));
  const haveNeigh = new Set(have.neighbours.map(neighKey));
  const hostLen = ipVersion === 4 ? 32 : 128;

  // Each command with what to record when it succeeds.
  const commands: IpCommand[] = [];
  const onDone: (() => void)[] = [];
  const plan = (args: string[], dev: string, skipIfPending: boolean, done: () => void): void => {
    commands.push({ args: [fam, ...args], dev, skipIfPending });
    onDone.push(done);
  };

  // Removals first, so an IP that moved to another interface ends up on the new one.
  // A neighbour whose MAC changed is overwritten by `replace` below, without a gap.
  const wantNeighSlot = new Set(want.neighbours.map((n) => `${n.ip} ${n.dev}`));
  for (const n of have.neighbours) {
    if (wantNeighSlot.has(`${n.ip} ${n.dev}`)) continue;
    plan(['neigh', 'del', n.ip, 'dev', n.dev], n.dev, false, () => result.neighboursRemoved.push(n));
  }
  for (const r of have.routes) {
    if (wantRoutes.has(routeKey(r))) continue;
    const dst = r.dst.includes('/') ? r.dst : `${r.dst}/${hostLen}`;
    plan(['route', 'del', dst, 'dev', r.dev, 'proto', proto], r.dev, false, () => result.routesRemoved.push(r));
  }
  for (const r of want.routes) {
    if (pending.has(r.dev) || haveRoutes.has(routeKey(r))) continue;
    const scope = ipVersion === 4 ? ['scope', 'link'] : [];
    plan(['route', 'replace', `${r.dst}/${hostLen}`, 'dev', r.dev, ...scope, 'proto', proto], r.dev, true, () => result.routesAdded.push(r));
  }
  for (const n of want.neighbours) {
    if (pending.has(n.dev) || haveNeigh.has(neighKey(n))) continue;
    plan(['neigh', 'replace', n.ip, 'lladdr', n.mac, 'dev', n.dev, 'nud', 'permanent', 'protocol', proto], n.dev, true,
      () => result.neighboursAdded.push(n));
  }

  const outcomes = await runIpCommands(runner, fam, commands, pending);
  outcomes.forEach((outcome, i) => {
    const c = commands[i]!;
    if (outcome === 'skipped') return;
    if (outcome === null) {
      result.commands.push(['ip', ...c.args]);
      onDone[i]!();
    } else if (c.skipIfPending && missingDevice(outcome)) {
      // The interface vanished (or is not there yet) between the read and now.
      pending.add(c.dev);
    } else {
      failures.push(outcome);
    }
  });

  const keys = [...want.interfaces].filter((i) => !pending.has(i)).sort().flatMap((i) => sysctlKeys(i, ipVersion));
  if (keys.length > 0) {
    try {
      // -e: an interface that vanished since is not an error here.
      const { stdout } = await runner.run('sysctl', ['-e', ...keys]);
      const values = new Map<string, string>();
      for (const line of stdout.split('\n')) {
        const m = /^(\S+)\s*=\s*(\S*)/.exec(line);
        if (m) values.set(m[1]!, m[2]!);
      }
      const changes = keys.filter((k) => values.has(k) && values.get(k) !== '1').map((k) => `${k}=1`);
      if (changes.length > 0) {
        await runner.run('sysctl', ['-q', '-w', ...changes]);
        result.commands.push(['sysctl', '-q', '-w', ...changes]);
        result.sysctlsSet.push(...changes);
      }
    } catch (err) {
      if (!(err instanceof CommandError)) throw err;
      failures.push(err);
    }
  }

  result.pendingInterfaces = [...pending].sort();
  if (failures.length > 0) throw new PlumbingError(result, failures);
  return result;
}
