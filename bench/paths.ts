// The benchmark's own entry points, found beside this compiled file: whatever directory the
// benchmark was built into, it runs (and times) the agent and scripts of that same build.
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));

/** A compiled benchmark script (cold-start.js, scale-run.js, ...). */
export const benchScript = (name: string): string => join(here, name);
/** The `tabby` command of this build. */
export const tabbyBin = (): string => join(here, 'tabby-entry.js');
