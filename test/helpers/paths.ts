import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root, found from this file whether it runs from test/ or dist/test/. */
export function repoRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json')) || dir.endsWith('/dist')) {
    const up = dirname(dir);
    if (up === dir) throw new Error('repository root not found');
    dir = up;
  }
  return dir;
}

export const fixturesDir = (): string => join(repoRoot(), 'fixtures');
/**
 * The seeds and conformance cases: ../shared beside the repository when it is there
 * (it may hold more cases), else the copies in fixtures/upstream.
 */
export function sharedDir(): string {
  const beside = join(repoRoot(), '..', 'shared');
  return existsSync(join(beside, 'conformance', 'selectors.json')) ? beside : join(fixturesDir(), 'upstream');
}
export const calicoctlBin = (): string => join(repoRoot(), 'bin', 'calicoctl.js');
export const tabbyBin = (): string => join(repoRoot(), 'bin', 'tabby.js');
