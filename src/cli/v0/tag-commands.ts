// `calicoctl profile <PROFILE> tag show|add|remove`: the profile's tags
// (metadata.tags), kept in the order they were added.
import type { ResourceStore } from '../../datastore/resource-store.js';
import type { Profile } from '../../model/types.js';
import type { CliContext } from '../context.js';
import { editProfile, notFound } from './profile-store.js';

/**
 * Seed 000 shows `tag show` printing each tag on its own line indented by four
 * spaces (`    WEB`); the seeds are the specification, so that is the format.
 */
const TAG_INDENT = '    ';

export async function tagShow(store: ResourceStore, name: string, ctx: CliContext): Promise<number> {
  const profile = (await store.get('profile', { name })) as Profile | undefined;
  if (!profile) {
    ctx.stdout.write(notFound(name));
    return 1;
  }
  ctx.stdout.write((profile.metadata.tags ?? []).map((tag) => `${TAG_INDENT}${tag}\n`).join(''));
  return 0;
}

export async function tagAdd(store: ResourceStore, name: string, tag: string, ctx: CliContext): Promise<number> {
  const outcome = await editProfile(store, name, (profile) => {
    const tags = (profile.metadata.tags ??= []);
    // Adding a tag the profile already has changes nothing and still succeeds.
    if (tags.includes(tag)) return { outcome: 'added' };
    tags.push(tag);
    return { outcome: 'added', updated: profile };
  });
  if (outcome === 'missing') {
    ctx.stdout.write(notFound(name));
    return 1;
  }
  ctx.stdout.write(`Tag ${tag} added to profile ${name}\n`);
  return 0;
}

export async function tagRemove(store: ResourceStore, name: string, tag: string, ctx: CliContext): Promise<number> {
  const outcome = await editProfile(store, name, (profile) => {
    const tags = profile.metadata.tags ?? [];
    const at = tags.indexOf(tag);
    if (at === -1) return { outcome: 'absent' as const };
    tags.splice(at, 1);
    profile.metadata.tags = tags;
    return { outcome: 'removed' as const, updated: profile };
  });
  switch (outcome) {
    case 'missing':
      ctx.stdout.write(notFound(name));
      return 1;
    case 'absent':
      ctx.stdout.write(`Tag ${tag} is not on profile ${name}\n`);
      return 1;
    case 'removed':
      ctx.stdout.write(`Tag ${tag} removed from profile ${name}\n`);
      return 0;
  }
}
