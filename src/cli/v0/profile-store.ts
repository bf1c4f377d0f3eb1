// How the v0 commands see a profile in the resource store: the v1 `profile`
// resource, its inbound (spec.ingress) and outbound (spec.egress) rule lists,
// the endpoints that use it, and atomic edits of it.
import type { ResourceStore } from '../../datastore/resource-store.js';
import type { HostEndpoint, Profile, Rule, WorkloadEndpoint } from '../../model/types.js';
import type { Direction } from './profile-args.js';

/** What `profile add X` creates: tag X, inbound `allow from tag X`, outbound `allow`. */
export function defaultProfile(name: string): Profile {
  return {
    apiVersion: 'v1',
    kind: 'profile',
    metadata: { name, tags: [name] },
    spec: {
      ingress: [{ action: 'allow', source: { tag: name } }],
      egress: [{ action: 'allow' }],
    },
  };
}

/** The rules of one direction, as stored (empty when the profile has none). */
export function rulesOf(profile: Profile, direction: Direction): readonly Rule[] {
  return (direction === 'inbound' ? profile.spec.ingress : profile.spec.egress) ?? [];
}

/** The rule list of one direction of `profile`, created if absent, for editing in place. */
export function editableRules(profile: Profile, direction: Direction): Rule[] {
  const key = direction === 'inbound' ? 'ingress' : 'egress';
  return (profile.spec[key] ??= []);
}

/** The result of an edit: what to report, and the new profile when it changed. */
export interface EditResult<O> {
  outcome: O;
  updated?: Profile;
}

/**
 * Reads, edits and writes profile `name` in one atomic step. `edit` gets a
 * private copy and may be called again if someone else changed the profile
 * meanwhile. Resolves to the last edit's outcome, or 'missing'.
 */
export async function editProfile<O>(
  store: ResourceStore,
  name: string,
  edit: (profile: Profile) => EditResult<O>,
): Promise<O | 'missing'> {
  const last: { outcome: O | 'missing' } = { outcome: 'missing' };
  await store.update<Profile>('profile', { name }, (current) => {
    if (!current) {
      last.outcome = 'missing';
      return undefined;
    }
    const result = edit(structuredClone(current));
    last.outcome = result.outcome;
    return result.updated;
  });
  return last.outcome;
}

/** An endpoint that uses a profile, as `profile show --detailed` lists it. */
export interface ProfileMember {
  node: string;
  /** Absent for host endpoints. */
  orchestrator?: string;
  workload?: string;
  endpoint: string;
}

/** The endpoints using each profile, by profile name (each endpoint once per profile it names). */
export async function membersByProfile(store: ResourceStore): Promise<Map<string, ProfileMember[]>> {
  const workloads = (await store.list('workloadEndpoint')) as WorkloadEndpoint[];
  const hosts = (await store.list('hostEndpoint')) as HostEndpoint[];
  const members = new Map<string, ProfileMember[]>();
  const add = (profiles: readonly string[] | undefined, member: ProfileMember): void => {
    for (const profile of new Set(profiles ?? [])) {
      let list = members.get(profile);
      if (!list) members.set(profile, (list = []));
      list.push(member);
    }
  };
  for (const w of workloads) {
    const { node, orchestrator, workload, name } = w.metadata;
    add(w.spec.profiles, { node, orchestrator, workload, endpoint: name });
  }
  for (const h of hosts) add(h.spec.profiles, { node: h.metadata.node, endpoint: h.metadata.name });
  return members;
}

/** Every workload and host endpoint whose profile list names `profile`. */
export async function endpointsUsing(store: ResourceStore, profile: string): Promise<ProfileMember[]> {
  return (await membersByProfile(store)).get(profile) ?? [];
}

/** One line, as the v0 commands print when a profile is missing. */
export const notFound = (name: string): string => `Profile ${name} not found.\n`;
