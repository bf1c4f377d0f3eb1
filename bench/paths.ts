// Where the repository is, whether the benchmark runs from bench/ or dist/bench/.
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export function repoRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json')) || dir.endsWith('/dist')) {
    const up = dirname(dir);
    if (up === dir) throw new Error('repository root not found');
    dir = up;
  }
  return dir;
}

export const tabbyBin = (): string => join(repoRoot(), 'bin', 'tabby.js');
/** A compiled benchmark entry point (the benchmark runs from dist/). */
export const benchScript = (name: string): string => join(repoRoot(), 'dist', 'bench', name);
