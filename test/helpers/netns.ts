// The connectivity harness: a host network namespace and workload namespaces
// joined by veth pairs, set up the way a CNI plugin sets up a Calico workload.
// Host side: `cali` + 11 hex characters, MAC ee:ee:ee:ee:ee:ee, up, forwarding
// on in the namespace. Workload side: eth0 with address/32, a route to
// 169.254.1.1 on eth0, default via 169.254.1.1, and a permanent neighbour entry
// for 169.254.1.1 with the host veth's MAC. The host-side routes, neighbours
// and sysctls for each workload are the agent's job (dataplane plumbing), not
// the harness's. Addresses stay in 198.18.0.0/15. Everything is torn down by
// destroy(), and at process exit if a test forgot.
import { execFile, execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { promisify } from 'node:util';
import type { LocalEndpoint } from '../../compiler/desired-state.js';
import { NsAgent } from './ns-agent.js';

const run = promisify(execFile);

export const HOST_VETH_MAC = 'ee:ee:ee:ee:ee:ee';
export const GATEWAY = '169.254.1.1';

/** Why root-only tests must skip, or false when they can run. */
export function notRootReason(): string | false {
  return process.getuid?.() === 0 ? false : 'needs root (network namespaces, iptables, ipset)';
}

export interface WorkloadSpec {
  name: string;
  /** IPv4 address in 198.18.0.0/15. */
  ip: string;
}

export interface Workload {
  name: string;
  ns: string;
  /** Host-side veth: `cali` + 11 hex characters. */
  iface: string;
  ip: string;
  /** MAC of the workload's eth0. */
  mac: string;
}

const TEST_NET = /^198\.(18|19)\.\d{1,3}\.\d{1,3}$/;
let counter = 0;
const live = new Set<TestNetwork>();

process.on('exit', () => {
  // Last resort for a test that failed before its teardown: synchronous cleanup.
  for (const net of live) net.destroySync();
});

async function ip(args: string[]): Promise<string> {
  try {
    const { stdout } = await run('ip', args);
    return stdout;
  } catch (err) {
    const e = err as { stderr?: string; message: string };
    throw new Error(`ip ${args.join(' ')}: ${(e.stderr ?? e.message).trim()}`);
  }
}

export class TestNetwork {
  readonly workloads = new Map<string, Workload>();
  private readonly agents = new Map<string, NsAgent>();
  private readonly namespaces = new Set<string>();
  private destroyed = false;

  private constructor(readonly hostNs: string, private readonly prefix: string) {}

  /** Creates the host namespace (forwarding on, lo up) and the given workloads. */
  static async create(workloads: WorkloadSpec[] = []): Promise<TestNetwork> {
    const prefix = `tb${process.pid}n${counter++}`;
    const net = new TestNetwork(`${prefix}-host`, prefix);
    live.add(net);
    try {
      await net.addNamespace(net.hostNs);
      await ip(['-n', net.hostNs, 'link', 'set', 'lo', 'up']);
      await run('ip', ['netns', 'exec', net.hostNs, 'sysctl', '-q', '-w', 'net.ipv4.ip_forward=1']);
      for (const w of workloads) await net.addWorkload(w);
    } catch (err) {
      await net.destroy();
      throw err;
    }
    return net;
  }

  private async addNamespace(ns: string): Promise<void> {
    await ip(['netns', 'add', ns]);
    this.namespaces.add(ns);
  }

  /** The host veth name for a workload: stable for this network, unique across runs. */
  ifaceFor(name: string): string {
    return 'cali' + createHash('sha256').update(`${this.prefix}/${name}`).digest('hex').slice(0, 11);
  }

  workload(name: string): Workload {
    const w = this.workloads.get(name);
    if (!w) throw new Error(`no workload named ${name}`);
    return w;
  }

  async addWorkload(spec: WorkloadSpec): Promise<Workload> {
    if (!TEST_NET.test(spec.ip)) throw new Error(`workload ${spec.name}: address ${spec.ip} is not in 198.18.0.0/15`);
    if (this.workloads.has(spec.name)) throw new Error(`workload ${spec.name} exists`);
    const ns = `${this.prefix}-w${this.workloads.size}-${spec.name}`.slice(0, 40);
    const iface = this.ifaceFor(spec.name);
    await this.addNamespace(ns);
    await ip(['-n', this.hostNs, 'link', 'add', iface, 'address', HOST_VETH_MAC, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', ns]);
    await ip(['-n', this.hostNs, 'link', 'set', iface, 'up']);
    await ip(['-n', ns, 'link', 'set', 'lo', 'up']);
    await ip(['-n', ns, 'link', 'set', 'eth0', 'up']);
    await ip(['-n', ns, 'addr', 'add', `${spec.ip}/32`, 'dev', 'eth0']);
    await ip(['-n', ns, 'route', 'add', GATEWAY, 'dev', 'eth0', 'scope', 'link']);
    await ip(['-n', ns, 'route', 'add', 'default', 'via', GATEWAY, 'dev', 'eth0']);
    await ip(['-n', ns, 'neigh', 'replace', GATEWAY, 'lladdr', HOST_VETH_MAC, 'dev', 'eth0', 'nud', 'permanent']);
    const link = JSON.parse(await ip(['-n', ns, '-j', 'link', 'show', 'eth0'])) as { address: string }[];
    const w: Workload = { name: spec.name, ns, iface, ip: spec.ip, mac: link[0]!.address };
    this.workloads.set(spec.name, w);
    return w;
  }

  /** Deletes a workload's namespace (and so its veth pair) and its helper process. */
  async removeWorkload(name: string): Promise<void> {
    const w = this.workload(name);
    await this.agents.get(w.ns)?.stop();
    this.agents.delete(w.ns);
    // Deleting the veth ourselves makes its removal synchronous: the kernel tears down a deleted
    // namespace's devices later, from a work queue, so the host end could outlive `netns del`.
    await ip(['-n', this.hostNs, 'link', 'del', w.iface]);
    await ip(['netns', 'del', w.ns]);
    this.namespaces.delete(w.ns);
    this.workloads.delete(name);
  }

  /** A LocalEndpoint for a workload, as calc would produce it. */
  endpoint(name: string, extra: Partial<LocalEndpoint> = {}): LocalEndpoint {
    const w = this.workload(name);
    return {
      id: `test/k8s/${name}/eth0`,
      interfaceName: w.iface,
      active: true,
      mac: w.mac,
      ipv4Nets: [`${w.ip}/32`],
      ipv6Nets: [],
      ingressPolicies: [],
      egressPolicies: [],
      profileIds: [],
      ...extra,
    };
  }

  /** The helper process of a namespace ('host' or a workload name), started on first use. */
  async agent(name: string): Promise<NsAgent> {
    const ns = name === 'host' ? this.hostNs : this.workload(name).ns;
    let a = this.agents.get(ns);
    if (!a) {
      a = await NsAgent.start(ns);
      this.agents.set(ns, a);
    }
    return a;
  }

  /** Address of a workload or of the host namespace (not routable from workloads). */
  addressOf(name: string): string {
    return this.workload(name).ip;
  }

  /** Runs a command inside a namespace ('host' or a workload name). */
  async exec(name: string, command: string, args: string[]): Promise<string> {
    const ns = name === 'host' ? this.hostNs : this.workload(name).ns;
    const { stdout } = await run('ip', ['netns', 'exec', ns, command, ...args]);
    return stdout;
  }

  /** Stops every helper process (by PID) and deletes every namespace. */
  async destroy(): Promise<void> {
    if (this.destroyed) return;
    this.destroyed = true;
    await Promise.all([...this.agents.values()].map((a) => a.stop()));
    this.agents.clear();
    // Workload namespaces first: deleting them removes the veths from the host namespace.
    for (const ns of [...this.namespaces].reverse()) {
      await ip(['netns', 'del', ns]).catch(() => undefined);
    }
    this.namespaces.clear();
    live.delete(this);
  }

  /** Synchronous teardown for process exit. */
  destroySync(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    for (const a of this.agents.values()) {
      if (a.pid !== undefined) { try { process.kill(a.pid, 'SIGKILL'); } catch { /* already gone */ } }
    }
    for (const ns of this.namespaces) {
      try { execFileSync('ip', ['netns', 'del', ns], { stdio: 'ignore' }); } catch { /* already gone */ }
    }
    live.delete(this);
  }
}
