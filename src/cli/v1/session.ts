// Opening the datastore for one command and always closing it again.
import type { ResourceStore } from '../../datastore/resource-store.js';
import type { CliContext } from '../context.js';
import { errorMessage } from './errors.js';

/**
 * Runs `fn` with an open store. A store that cannot be opened is reported on
 * stderr and gives exit status 1; nothing else is attempted.
 */
export async function withStore(ctx: CliContext, fn: (store: ResourceStore) => Promise<number>): Promise<number> {
  let store: ResourceStore;
  try {
    store = await ctx.openStore();
  } catch (err) {
    ctx.stderr.write(`Failed to connect to the datastore: ${errorMessage(err)}\n`);
    return 1;
  }
  try {
    return await fn(store);
  } finally {
    try {
      await store.close();
    } catch (err) {
      ctx.stderr.write(`Warning: closing the datastore failed: ${errorMessage(err)}\n`);
    }
  }
}
