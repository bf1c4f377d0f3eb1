// End-to-end harness: a TestNetwork (host namespace + workload namespaces), a
// temporary embedded datastore filled by the real `calicoctl` binary, and the
// real `tabby` binary run as a separate process inside the host namespace
// (`ip netns exec <host> node bin/tabby.js agent --once ...`). The bins import
// dist/, so these tests need `npm run build` first.
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import yaml from 'js-yaml';
import type { RestoreDump } from '../../src/cli/tabby/agent.js';
import { TestNetwork, type WorkloadSpec } from '../helpers/netns.js';
import { calicoctlBin, fixturesDir, tabbyBin } from '../helpers/paths.js';

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

interface Teardown {
  teardown(fn: () => unknown): void;
}

/** Runs a program to completion with `input` on stdin. */
export function runProcess(file: string, args: readonly string[], env: NodeJS.ProcessEnv, input = ''): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(file, [...args], { env, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code: code ?? (signal ? 128 : 1), stdout, stderr }));
    child.stdin.end(input);
  });
}

export type Resource = Record<string, unknown> & { kind: string; metadata: Record<string, unknown> };

/** The resources of a YAML file under fixtures/ (lists and multi-document files flattened). */
export async function fixtureResources(relPath: string): Promise<Resource[]> {
  const text = await readFile(join(fixturesDir(), relPath), 'utf8');
  return yaml.loadAll(text).flatMap((doc) => (Array.isArray(doc) ? doc : doc == null ? [] : [doc])) as Resource[];
}

/** Fixture resources without their workload endpoints (the harness makes real ones). */
export async function fixturePolicy(relPath: string): Promise<Resource[]> {
  return (await fixtureResources(relPath)).filter((r) => r.kind !== 'workloadEndpoint');
}

export const toYaml = (resources: readonly Resource[]): string => yaml.dump(resources);

/** The chains an iptables-restore input names (declares, appends to, inserts into, deletes from, flushes or deletes). */
export function chainsNamed(restoreInput: string | null): string[] {
  const names = new Set<string>();
  for (const line of (restoreInput ?? '').split('\n')) {
    const m = /^:(\S+)/.exec(line) ?? /^-[AIDRFXNZ]\s+(\S+)/.exec(line);
    if (m) names.add(m[1]!);
  }
  return [...names].sort();
}

export interface EndpointOptions {
  profiles: string[];
  labels?: Record<string, string>;
  /** Default: the harness node. */
  node?: string;
  orchestrator?: string;
  workload?: string;
}

export class AgentHarness {
  private runs = 0;

  private constructor(
    readonly net: TestNetwork,
    /** The embedded datastore's directory (TABBY_DATA_DIR). */
    readonly dataDir: string,
    /** Where restore dumps go. */
    readonly workDir: string,
    readonly node: string,
  ) {}

  /** A network with the given workloads and an empty datastore; all removed when the test ends. */
  static async create(t: Teardown, workloads: WorkloadSpec[], node = 'host-01'): Promise<AgentHarness> {
    const dataDir = await mkdtemp(join(tmpdir(), 'tabby-e2e-store-'));
    t.teardown(() => rm(dataDir, { recursive: true, force: true }));
    const workDir = await mkdtemp(join(tmpdir(), 'tabby-e2e-work-'));
    t.teardown(() => rm(workDir, { recursive: true, force: true }));
    const net = await TestNetwork.create(workloads);
    t.teardown(() => net.destroy());
    return new AgentHarness(net, dataDir, workDir, node);
  }

  private env(): NodeJS.ProcessEnv {
    const env: NodeJS.ProcessEnv = { ...process.env, TABBY_DATA_DIR: this.dataDir };
    delete env.ETCD_ENDPOINTS;
    delete env.NODENAME;
    return env;
  }

  /** `calicoctl <argv>` against the test's datastore (outside any namespace: it only touches files). */
  calicoctl(argv: readonly string[], stdin = ''): Promise<RunResult> {
    return runProcess(process.execPath, [calicoctlBin(), ...argv], this.env(), stdin);
  }

  /** `calicoctl <argv>`, failing with its stderr if it does not exit 0. */
  async ctl(argv: readonly string[], stdin = ''): Promise<string> {
    const r = await this.calicoctl(argv, stdin);
    if (r.code !== 0) throw new Error(`calicoctl ${argv.join(' ')} exited ${r.code}: ${r.stderr}${r.stdout}`);
    return r.stdout;
  }

  /** `calicoctl apply -f -` of the given resources. */
  apply(resources: readonly Resource[]): Promise<string> {
    return this.ctl(['apply', '-f', '-'], toYaml(resources));
  }

  /** A v1 workloadEndpoint resource for a harness workload: its real interface, address and MAC. */
  endpoint(name: string, options: EndpointOptions): Resource {
    const w = this.net.workload(name);
    return {
      apiVersion: 'v1',
      kind: 'workloadEndpoint',
      metadata: {
        name: 'eth0',
        node: options.node ?? this.node,
        orchestrator: options.orchestrator ?? 'docker',
        workload: options.workload ?? name,
        ...(options.labels ? { labels: options.labels } : {}),
      },
      spec: { interfaceName: w.iface, ipNetworks: [`${w.ip}/32`], mac: w.mac, profiles: options.profiles },
    };
  }

  /** `tabby <argv>` as its own process inside the host namespace. */
  tabby(argv: readonly string[]): Promise<RunResult> {
    return runProcess('ip', ['netns', 'exec', this.net.hostNs, process.execPath, tabbyBin(), ...argv], this.env());
  }

  /** `tabby agent --once --node <node> --dump-restore <file>`: the run and what it gave the kernel. */
  async once(): Promise<{ run: RunResult; dump: RestoreDump | undefined }> {
    const file = join(this.workDir, `restore-${++this.runs}.json`);
    const run = await this.tabby(['agent', '--once', '--node', this.node, '--dump-restore', file]);
    const dump = await readFile(file, 'utf8').then((s) => JSON.parse(s) as RestoreDump, () => undefined);
    return { run, dump };
  }

  /** Like once(), failing unless it exits 0; returns the dump. */
  async applyOnce(): Promise<RestoreDump> {
    const { run, dump } = await this.once();
    if (run.code !== 0 || !dump) throw new Error(`tabby agent --once exited ${run.code}: ${run.stderr}${run.stdout}`);
    return dump;
  }

  diff(): Promise<RunResult> {
    return this.tabby(['diff', '--node', this.node]);
  }

  /** Runs a command in the host namespace. */
  host(command: string, args: string[]): Promise<string> {
    return this.net.exec('host', command, args);
  }

  iptablesSave(): Promise<string> {
    return this.host('iptables-save', ['-t', 'filter']);
  }

  async ipsetNames(): Promise<string[]> {
    return (await this.host('ipset', ['list', '-n'])).split('\n').filter((l) => l !== '');
  }
}

/** The IPv4 family of a dump (every run has one). */
export function ipv4(dump: RestoreDump): RestoreDump['families'][number] {
  const f = dump.families.find((x) => x.ipVersion === 4);
  if (!f) throw new Error(`the run applied no IPv4 ruleset: ${JSON.stringify(dump)}`);
  return f;
}
