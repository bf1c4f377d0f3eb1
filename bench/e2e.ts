// Orchestrates the end-to-end measurement for one scale and one datastore: a fresh network
// namespace with a veth per local endpoint (so the agent's routes and neighbours
// have somewhere to go), then e2e-driver.js inside it. Returns null with a reason when the
// agent or the kernel is not available.
import { execFile, execFileSync } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createCalcGraph } from '../src/calc/index.js';
import { ipSetName } from '../compiler/index.js';
import { MembershipFlip } from './changes.js';
import type { Cluster } from './cluster.js';
import type { E2eDriverResult, E2ePlan, StoreKind } from './e2e-driver.js';
import { createNamespace, deleteNamespace, kernelUnavailableReason } from './netns.js';
import { benchScript, tabbyBin } from './paths.js';

export const E2E_CHANGES = 200;

export type E2eOutcome = { result: E2eDriverResult } | { result: null; reason: string };

/** Node arguments that run `tabby` from the build this benchmark runs from. */
export const tabbyCommand = (): string[] => [tabbyBin()];

/** Why the agent cannot be run, or null when `tabby agent --help` works. */
export function agentUnavailableReason(): string | null {
  const command = tabbyCommand();
  if (command.length === 1 && !existsSync(command[0]!)) return `${command[0]} does not exist`;
  try {
    execFileSync(process.execPath, [...command, 'agent', '--help'], { stdio: 'pipe', timeout: 20_000 });
    return null;
  } catch (err) {
    const e = err as { stderr?: Buffer; message: string };
    return `\`tabby agent --help\` failed: ${(e.stderr?.toString() || e.message).trim().slice(0, 300)}`;
  }
}

/** A remote endpoint and an IP set in use on the node that it can join by a label change. */
export function chooseFlip(cluster: Cluster): E2ePlan['flip'] {
  const { graph } = createCalcGraph(cluster.node, cluster.kvs);
  const sets = graph.snapshot().ipSets;
  for (const [id, set] of [...sets].sort(([a], [b]) => (a < b ? -1 : 1))) {
    const m = /^\(namespace == "([^"]+)" && app == "([^"]+)"\)$/.exec(set.selector);
    if (!m) continue;
    const [, namespace, app] = m;
    const candidate = cluster.endpoints.find((e) =>
      e.id.node !== cluster.node && e.data.labels.namespace !== namespace && !set.v4.has(e.data.ipv4Nets[0]!));
    if (!candidate) continue;
    const flip = new MembershipFlip(candidate, { namespace: namespace!, app: app! });
    return { key: candidate.key, join: flip.join().value!, leave: flip.leave().value!, ipSet: ipSetName(4, id), address: flip.address };
  }
  throw new Error(`scale ${cluster.spec.name}: no IP set of the form (namespace == ... && app == ...) in use on ${cluster.node}`);
}

function ipBatch(ns: string, lines: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = execFile('ip', ['-n', ns, '-batch', '-'], (err, _o, stderr) => (err ? reject(new Error(`ip -batch: ${stderr || err.message}`)) : resolve()));
    child.stdin!.end(lines.join('\n') + '\n');
  });
}

export async function measureE2e(cluster: Cluster, store: StoreKind, kvsFile: string, workDir: string): Promise<E2eOutcome> {
  const why = kernelUnavailableReason() ?? agentUnavailableReason();
  if (why) return { result: null, reason: why };
  const plan: E2ePlan = {
    store,
    kvsFile,
    node: cluster.node,
    tabbyCommand: tabbyCommand(),
    changes: E2E_CHANGES,
    pauseMs: 100,
    flip: chooseFlip(cluster),
  };
  const planFile = join(workDir, `e2e-${store}.json`);
  writeFileSync(planFile, JSON.stringify(plan));
  const ns = await createNamespace(`e2e${store === 'etcd' ? 'e' : 'm'}`);
  try {
    const ifaces = cluster.endpoints.filter((e) => e.id.node === cluster.node).map((e) => e.data.interfaceName);
    // No dummy module on this kernel: a veth pair per endpoint, the peer left in the namespace.
    await ipBatch(ns, ifaces.flatMap((iface, n) => [`link add ${iface} type veth peer name wl${n}`, `link set ${iface} up`, `link set wl${n} up`]));
    const out = await new Promise<string>((resolve, reject) => {
      execFile('ip', ['netns', 'exec', ns, process.execPath, benchScript('e2e-driver.js'), planFile],
        { maxBuffer: 16 * 1024 * 1024, timeout: 30 * 60_000 },
        (err, stdout, stderr) => (err ? reject(new Error(`e2e ${store}: ${String(stderr || err.message).trim().slice(-1500)}`)) : resolve(stdout)));
    });
    return { result: JSON.parse(out.trim().split('\n').pop()!) as E2eDriverResult };
  } catch (err) {
    return { result: null, reason: (err as Error).message };
  } finally {
    await deleteNamespace(ns);
  }
}
