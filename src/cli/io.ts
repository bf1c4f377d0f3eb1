// Reading resource files and writing resources as calicoctl v1 prints them.
import { readFile } from 'node:fs/promises';
import yaml from 'js-yaml';
import type { Resource } from '../model/types.js';
import type { CliContext } from './context.js';

/** Contents of FILE, or of standard input when FILE is "-". */
export async function readInput(file: string, ctx: Pick<CliContext, 'readStdin'>): Promise<string> {
  if (file === '-') return ctx.readStdin();
  try {
    return await readFile(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new Error(`open ${file}: no such file or directory`);
    if (code === 'EISDIR') throw new Error(`read ${file}: is a directory`);
    if (code === 'EACCES') throw new Error(`open ${file}: permission denied`);
    throw new Error(`read ${file}: ${(err as Error).message}`);
  }
}

/**
 * `-o yaml`: a YAML list with keys sorted, two-space indent, list items at
 * their parent's indentation and number-like strings double-quoted, the way
 * calicoctl's ghodss/yaml output reads (seed 004).
 */
export function formatYaml(resources: readonly Resource[]): string {
  if (resources.length === 0) return '[]\n';
  return yaml.dump(resources, {
    sortKeys: true,
    quotingType: '"',
    noRefs: true,
    lineWidth: -1,
    noArrayIndent: true,
    indent: 2,
  });
}

/** `-o json`: the same list as a JSON array, keys sorted, two-space indent. */
export function formatJson(resources: readonly Resource[]): string {
  return JSON.stringify(sortKeysDeep(resources), null, 2) + '\n';
}

function sortKeysDeep(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeysDeep);
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(value).sort()) out[key] = sortKeysDeep((value as Record<string, unknown>)[key]);
    return out;
  }
  return value;
}
