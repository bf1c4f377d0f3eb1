// `calicoctl profile show [--detailed]`, `profile add <PROFILE>` and
// `profile remove <PROFILE> [--no-check]`, with calicoctl v0's messages.
import { ResourceExistsError, ResourceNotFoundError, type ResourceStore } from '../../datastore/resource-store.js';
import type { CliContext } from '../context.js';
import { defaultProfile, endpointsUsing, membersByProfile, notFound } from './profile-store.js';
import { formatPrettyTable } from './pretty-table.js';

export async function profileAdd(store: ResourceStore, name: string, ctx: CliContext): Promise<number> {
  try {
    await store.create(defaultProfile(name));
  } catch (err) {
    if (!(err instanceof ResourceExistsError)) throw err;
    // calicoctl v0 treats this as done, not as a failure.
    ctx.stdout.write(`Profile ${name} already exists.\n`);
    return 0;
  }
  ctx.stdout.write(`Created profile ${name}\n`);
  return 0;
}

export async function profileRemove(store: ResourceStore, name: string, noCheck: boolean, ctx: CliContext): Promise<number> {
  if (!(await store.get('profile', { name }))) {
    ctx.stdout.write(notFound(name));
    return 1;
  }
  if (!noCheck && (await endpointsUsing(store, name)).length > 0) {
    ctx.stdout.write(
      "Cannot remove profile - profile in use by endpoint(s).\nUse the '--no-check' flag to remove the profile anyway.\n",
    );
    return 1;
  }
  try {
    await store.delete('profile', { name });
  } catch (err) {
    if (!(err instanceof ResourceNotFoundError)) throw err;
    ctx.stdout.write(notFound(name));
    return 1;
  }
  ctx.stdout.write(`Deleted profile ${name}\n`);
  return 0;
}

const DETAILED_HEADINGS = ['Name', 'Host', 'Orchestrator ID', 'Workload ID', 'Endpoint ID', 'State'];

/**
 * The profile names in a table; with --detailed, one row per endpoint using
 * each profile (a profile no endpoint uses gets one row of "None").
 */
export async function profileShow(store: ResourceStore, detailed: boolean, ctx: CliContext): Promise<number> {
  const names = (await store.list('profile')).map((p) => p.metadata.name);
  if (!detailed) {
    ctx.stdout.write(formatPrettyTable(['Name'], names.map((name) => [name])));
    return 0;
  }
  const members = await membersByProfile(store);
  const rows: string[][] = [];
  for (const name of names) {
    const using = members.get(name) ?? [];
    if (using.length === 0) rows.push([name, 'None', 'None', 'None', 'None', 'None']);
    // Endpoints of the v1 model are always active; host endpoints have no orchestrator or workload.
    for (const m of using) rows.push([name, m.node, m.orchestrator ?? 'None', m.workload ?? 'None', m.endpoint, 'active']);
  }
  ctx.stdout.write(formatPrettyTable(DETAILED_HEADINGS, rows));
  return 0;
}
