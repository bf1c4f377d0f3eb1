// Parser for `iptables-save -t filter` (and ip6tables-save) output.
import type { FilterTable, KernelChain, KernelRule } from './types.js';

/** The characters a rule hash may use (base64 and base64url alphabets). */
export const HASH_CHARS = 'A-Za-z0-9_+/=-';
const HASH_COMMENT = new RegExp(`(?:^|\\s)--comment\\s+("?)cali:([${HASH_CHARS}]{1,64})\\1(?=\\s|$)`);

/** The hash of the rule's `cali:<hash>` comment, or null when it has none. */
export function ruleHash(spec: string): string | null {
  return HASH_COMMENT.exec(spec)?.[2] ?? null;
}

export class SaveParseError extends Error {
  constructor(readonly line: number, readonly text: string, why: string) {
    super(`iptables-save output, line ${line}: ${why}: ${JSON.stringify(text)}`);
    this.name = 'SaveParseError';
  }
}

/**
 * Reads the filter table from iptables-save output. Other tables in the text
 * are skipped; an absent filter table reads as empty.
 */
export function parseIptablesSave(text: string): FilterTable {
  const chains = new Map<string, KernelChain>();
  let table: string | null = null;
  const lines = text.split('\n');
  lines.forEach((raw, i) => {
    const line = raw.trimEnd();
    if (line === '' || line.startsWith('#')) return;
    if (line.startsWith('*')) { table = line.slice(1); return; }
    if (line === 'COMMIT') { table = null; return; }
    if (table !== 'filter') return;
    if (line.startsWith(':')) {
      const m = /^:(\S+)\s+(\S+)/.exec(line);
      if (!m) throw new SaveParseError(i + 1, line, 'malformed chain line');
      const name = m[1]!;
      chains.set(name, { name, policy: m[2] === '-' ? null : m[2]!, rules: chains.get(name)?.rules ?? [] });
      return;
    }
    if (line.startsWith('-A ')) {
      const m = /^-A (\S+)(?: (.*))?$/.exec(line);
      if (!m) throw new SaveParseError(i + 1, line, 'malformed rule line');
      const name = m[1]!;
      let chain = chains.get(name);
      if (!chain) { chain = { name, policy: null, rules: [] }; chains.set(name, chain); }
      const spec = m[2] ?? '';
      const rule: KernelRule = { spec, hash: ruleHash(spec) };
      chain.rules.push(rule);
      return;
    }
    throw new SaveParseError(i + 1, line, 'unexpected line');
  });
  return { chains };
}

/** Prints a chain's rules as iptables-save lines (for diffs and logs). */
export function ruleLine(chain: string, spec: string): string {
  return spec === '' ? `-A ${chain}` : `-A ${chain} ${spec}`;
}
