// The `get` table of each kind: headings for ps and wide output and how each
// column reads a resource (calicoctl v1's resource managers).
import type {
  HostEndpoint,
  Policy,
  Profile,
  Resource,
  ResourceKind,
  WorkloadEndpoint,
} from '../../model/types.js';

interface KindTable<R extends Resource> {
  ps: string[];
  wide: string[];
  cell(resource: R, heading: string): string;
}

const join = (items: readonly string[] | undefined): string => (items ?? []).join(',');

/**
 * A float64 as Go's fmt prints it (%v: the shortest 'g' form, in exponent form
 * when the decimal exponent is below -4 or 6 and above: 1e+06), so an order
 * reads exactly as calicoctl shows it.
 */
export function formatGoFloat(n: number): string {
  if (Number.isNaN(n)) return 'NaN';
  if (!Number.isFinite(n)) return n > 0 ? '+Inf' : '-Inf';
  if (Object.is(n, -0)) return '-0';
  const [mantissa, e] = n.toExponential().split('e') as [string, string];
  const exp = Number(e);
  if (n !== 0 && (exp < -4 || exp >= 6)) {
    return `${mantissa}e${exp < 0 ? '-' : '+'}${String(Math.abs(exp)).padStart(2, '0')}`;
  }
  return String(n);
}

const profileTable: KindTable<Profile> = {
  ps: ['NAME'],
  wide: ['NAME', 'TAGS'],
  cell(p, heading) {
    switch (heading) {
      case 'NAME':
        return p.metadata.name;
      case 'TAGS':
        return join(p.metadata.tags);
    }
    return '';
  },
};

const policyTable: KindTable<Policy> = {
  ps: ['NAME'],
  wide: ['NAME', 'ORDER', 'SELECTOR'],
  cell(p, heading) {
    switch (heading) {
      case 'NAME':
        return p.metadata.name;
      // calicoctl prints the *float64 through a Go template: nil is `<nil>`.
      case 'ORDER':
        return p.spec.order === undefined ? '<nil>' : formatGoFloat(p.spec.order);
      case 'SELECTOR':
        return p.spec.selector ?? '';
    }
    return '';
  },
};

const workloadEndpointTable: KindTable<WorkloadEndpoint> = {
  ps: ['NODE', 'ORCHESTRATOR', 'WORKLOAD', 'NAME'],
  wide: ['NODE', 'ORCHESTRATOR', 'WORKLOAD', 'NAME', 'NETWORKS', 'NATS', 'INTERFACE', 'PROFILES'],
  cell(w, heading) {
    switch (heading) {
      case 'NODE':
        return w.metadata.node;
      case 'ORCHESTRATOR':
        return w.metadata.orchestrator;
      case 'WORKLOAD':
        return w.metadata.workload;
      case 'NAME':
        return w.metadata.name;
      case 'NETWORKS':
        return join(w.spec.ipNetworks);
      case 'NATS':
        return join((w.spec.ipNATs ?? []).map((nat) => `${nat.internalIP}<->${nat.externalIP}`));
      case 'INTERFACE':
        return w.spec.interfaceName;
      case 'PROFILES':
        return join(w.spec.profiles);
    }
    return '';
  },
};

const hostEndpointTable: KindTable<HostEndpoint> = {
  ps: ['NODE', 'NAME'],
  wide: ['NODE', 'NAME', 'INTERFACE', 'IPS', 'PROFILES'],
  cell(h, heading) {
    switch (heading) {
      case 'NODE':
        return h.metadata.node;
      case 'NAME':
        return h.metadata.name;
      case 'INTERFACE':
        return h.spec.interfaceName ?? '';
      case 'IPS':
        return join(h.spec.expectedIPs);
      case 'PROFILES':
        return join(h.spec.profiles);
    }
    return '';
  },
};

const TABLES: { [K in ResourceKind]: KindTable<Extract<Resource, { kind: K }>> } = {
  profile: profileTable,
  policy: policyTable,
  workloadEndpoint: workloadEndpointTable,
  hostEndpoint: hostEndpointTable,
};

/** Heading row then one row per resource, for `get KIND -o ps|wide`. */
export function tableRows(kind: ResourceKind, resources: readonly Resource[], wide: boolean): string[][] {
  const table = TABLES[kind] as KindTable<Resource>;
  const headings = wide ? table.wide : table.ps;
  return [headings, ...resources.map((r) => headings.map((h) => table.cell(r, h)))];
}
