// `calicoctl profile ...`: the calicoctl v0 profile commands. They edit the
// same stored profiles as the v1 `profile` resource.
import type { ResourceStore } from '../../datastore/resource-store.js';
import type { CliContext } from '../context.js';
import { withStore } from '../v1/session.js';
import { parseProfileArgs, ProfileUsageError, type ProfileInvocation } from './profile-args.js';
import { profileAdd, profileRemove, profileShow } from './profile-commands.js';
import { ruleAdd, ruleJson, ruleRemoveAt, ruleRemoveMatching, ruleShow, ruleUpdate } from './rule-commands.js';
import { tagAdd, tagRemove, tagShow } from './tag-commands.js';
import { PROFILE_USAGE, PROFILE_USAGE_LINES } from './usage.js';

/**
 * Runs `calicoctl profile <args>`; resolves to the exit status. A command line
 * that does not fit is reported on stderr, naming the offending word, with
 * exit status 1, before the datastore is opened.
 */
export async function profileCommand(args: string[], ctx: CliContext): Promise<number> {
  let invocation: ProfileInvocation;
  try {
    invocation = parseProfileArgs(args);
  } catch (err) {
    if (!(err instanceof ProfileUsageError)) throw err;
    ctx.stderr.write(`${err.message}\n${err.showUsage ? `\n${PROFILE_USAGE_LINES}` : ''}`);
    return 1;
  }
  if (invocation.command === 'help') {
    ctx.stdout.write(PROFILE_USAGE);
    return 0;
  }
  const run = invocation;
  return withStore(ctx, (store) => dispatch(run, store, ctx));
}

function dispatch(inv: Exclude<ProfileInvocation, { command: 'help' }>, store: ResourceStore, ctx: CliContext): Promise<number> {
  switch (inv.command) {
    case 'show':
      return profileShow(store, inv.detailed, ctx);
    case 'add':
      return profileAdd(store, inv.profile, ctx);
    case 'remove':
      return profileRemove(store, inv.profile, inv.noCheck, ctx);
    case 'tag show':
      return tagShow(store, inv.profile, ctx);
    case 'tag add':
      return tagAdd(store, inv.profile, inv.tag, ctx);
    case 'tag remove':
      return tagRemove(store, inv.profile, inv.tag, ctx);
    case 'rule show':
      return ruleShow(store, inv.profile, ctx);
    case 'rule json':
      return ruleJson(store, inv.profile, ctx);
    case 'rule update':
      return ruleUpdate(store, inv.profile, ctx);
    case 'rule add':
      return ruleAdd(store, inv.profile, inv.direction, inv.position, inv.rule, ctx);
    case 'rule remove':
      return ruleRemoveAt(store, inv.profile, inv.direction, inv.position, ctx);
    case 'rule remove matching':
      return ruleRemoveMatching(store, inv.profile, inv.direction, inv.rule, ctx);
  }
}
