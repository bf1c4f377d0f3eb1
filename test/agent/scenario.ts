// The network and data the agent's real-system tests share: a host namespace with two
// workloads (a 198.18.0.2, b 198.18.0.3) whose endpoints carry the profile `open` (everything
// allowed), and the policy `b-web` that, once applied, lets only a's TCP 80 into b.
import { calicoctl } from './agent-process.js';
import type { TestNetwork } from '../helpers/netns.js';

export const NODE = 'tb-node';

export function baseResources(net: TestNetwork): string {
  const ep = (name: string, role: string): string => {
    const w = net.workload(name);
    return `- apiVersion: v1
  kind: workloadEndpoint
  metadata:
    name: eth0
    node: ${NODE}
    orchestrator: test
    workload: ${name}
    labels:
      role: ${role}
  spec:
    interfaceName: ${w.iface}
    ipNetworks:
    - ${w.ip}/32
    mac: ${w.mac}
    profiles:
    - open
`;
  };
  return `- apiVersion: v1
  kind: profile
  metadata:
    name: open
  spec:
    ingress:
    - action: allow
    egress:
    - action: allow
${ep('a', 'a')}${ep('b', 'b')}`;
}

/** b accepts only TCP 80 from a. */
export function webPolicy(name = 'b-web', port = 80): string {
  return `- apiVersion: v1
  kind: policy
  metadata:
    name: ${name}
  spec:
    order: 10
    selector: role == 'b'
    ingress:
    - action: allow
      protocol: tcp
      source:
        selector: role == 'a'
      destination:
        ports:
        - ${port}
`;
}

export const apply = (ns: string, env: NodeJS.ProcessEnv, yaml: string): Promise<string> => calicoctl(ns, env, ['apply', '-f', '-'], yaml);
export const deletePolicy = (ns: string, env: NodeJS.ProcessEnv, name: string): Promise<string> => calicoctl(ns, env, ['delete', 'policy', name]);

/**
 * Probes `from -> to tcp:port` until it gives `want`; resolves to the ms it took from `since`.
 * Gives up after `limitMs` (then resolves to Infinity).
 */
export async function timeUntil(net: TestNetwork, from: string, to: string, port: number, want: 'allow' | 'deny', since: number, limitMs = 5000): Promise<number> {
  const agent = await net.agent(from);
  await (await net.agent(to)).listen([port], []);
  for (;;) {
    const r = await agent.probe('tcp', net.addressOf(to), port, 150);
    const outcome = r.outcome === 'refused' ? 'allow' : r.outcome; // refused still means the path is open
    if (outcome === want) return performance.now() - since;
    if (performance.now() - since > limitMs) return Infinity;
  }
}
