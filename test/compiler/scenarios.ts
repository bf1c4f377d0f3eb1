// Golden scenarios: fixtures/<scenario>/ holds input.yaml (v1 resources,
// applied in order), an optional datastore.json (raw KV pairs applied after
// it, for what v1 YAML cannot say; a null value deletes the key), a `node`
// file naming the node, and the golden outputs:
//   iptables.txt  renderRestore (IPv4)      ipset.txt   renderIpsetRestore (IPv4)
//   ip6tables.txt renderRestore (IPv6)      ipset6.txt  renderIpsetRestore (IPv6)
// The IPv6 files exist where IPv6 matters: some endpoint or IP set has an IPv6 address.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { compileRuleset } from '../../compiler/compile.js';
import type { DesiredState } from '../../compiler/desired-state.js';
import { renderIpsetRestore, renderRestore } from '../../compiler/restore.js';
import { computeDesiredState, updatesFromKVs } from '../../src/calc/index.js';
import { parseResources } from '../../src/model/parse.js';
import { resourceToKV } from '../../src/model/storage.js';
import { fixturesDir } from '../helpers/paths.js';

export const GOLDEN_FILES = ['iptables.txt', 'ipset.txt', 'ip6tables.txt', 'ipset6.txt'] as const;
export type GoldenFile = (typeof GOLDEN_FILES)[number];

export function scenarioDirs(): string[] {
  const root = fixturesDir();
  return readdirSync(root, { withFileTypes: true })
    .filter((d) => d.isDirectory() && existsSync(join(root, d.name, 'input.yaml')))
    .map((d) => d.name)
    .sort();
}

/** The datastore contents a scenario describes, as key -> value after every write. */
export function scenarioKVs(name: string): Map<string, string> {
  const dir = join(fixturesDir(), name);
  const kvs = new Map<string, string>();
  for (const resource of parseResources(readFileSync(join(dir, 'input.yaml'), 'utf8'))) {
    for (const { key, value } of resourceToKV(resource)) kvs.set(key, value);
  }
  const raw = join(dir, 'datastore.json');
  if (existsSync(raw)) {
    const pairs = JSON.parse(readFileSync(raw, 'utf8')) as { key: string; value: unknown }[];
    for (const { key, value } of pairs) {
      if (value === null) kvs.delete(key);
      else kvs.set(key, typeof value === 'string' ? value : JSON.stringify(value));
    }
  }
  return kvs;
}

export const scenarioNode = (name: string): string => readFileSync(join(fixturesDir(), name, 'node'), 'utf8').trim();

export function scenarioState(name: string): DesiredState {
  const ingest = updatesFromKVs([...scenarioKVs(name)].map(([key, value]) => ({ key, value })));
  if (ingest.invalid.length > 0) throw new Error(`scenario ${name}: invalid datastore values: ${JSON.stringify(ingest.invalid)}`);
  return computeDesiredState(scenarioNode(name), ingest.updates);
}

export function ipv6Matters(state: DesiredState): boolean {
  for (const ep of state.endpoints.values()) if (ep.ipv6Nets.length > 0) return true;
  for (const s of state.ipSets.values()) if (s.v6.size > 0) return true;
  return false;
}

/** The golden outputs of a scenario as the code produces them now. */
export function renderScenario(name: string): Partial<Record<GoldenFile, string>> {
  const state = scenarioState(name);
  const v4 = compileRuleset(state, 4);
  const out: Partial<Record<GoldenFile, string>> = { 'iptables.txt': renderRestore(v4), 'ipset.txt': renderIpsetRestore(v4) };
  if (ipv6Matters(state)) {
    const v6 = compileRuleset(state, 6);
    out['ip6tables.txt'] = renderRestore(v6);
    out['ipset6.txt'] = renderIpsetRestore(v6);
  }
  return out;
}
