// Parser for `ipset save` output, keeping only the sets Tabby owns for a family.
import { canonicalCidr } from './ip-address.js';
import type { KernelIpSet } from './types.js';
import { ipSetPrefix } from './types.js';

export class IpsetParseError extends Error {
  constructor(readonly line: number, readonly text: string, why: string) {
    super(`ipset save output, line ${line}: ${why}: ${JSON.stringify(text)}`);
    this.name = 'IpsetParseError';
  }
}

export function parseIpsetSave(text: string, ipVersion: 4 | 6): Map<string, KernelIpSet> {
  const prefix = ipSetPrefix(ipVersion);
  const sets = new Map<string, KernelIpSet>();
  text.split('\n').forEach((raw, i) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) return;
    const words = line.split(/\s+/);
    const [verb, name] = words;
    if (!name) throw new IpsetParseError(i + 1, line, 'missing set name');
    if (!name.startsWith(prefix)) return;
    if (verb === 'create') {
      const type = words[2];
      if (!type) throw new IpsetParseError(i + 1, line, 'missing set type');
      const opt = (key: string): string | undefined => {
        const at = words.indexOf(key, 3);
        return at < 0 ? undefined : words[at + 1];
      };
      const fam = opt('family') ?? 'inet';
      if (fam !== 'inet' && fam !== 'inet6') throw new IpsetParseError(i + 1, line, `unknown family ${fam}`);
      const maxelem = Number(opt('maxelem') ?? 65536);
      sets.set(name, { name, type, family: fam, maxelem, members: [] });
      return;
    }
    if (verb === 'add') {
      const set = sets.get(name);
      const member = words[2];
      if (!set || !member) throw new IpsetParseError(i + 1, line, 'member of an undeclared set');
      set.members.push(canonicalCidr(member, set.family === 'inet6' ? 6 : 4) ?? member);
      return;
    }
    throw new IpsetParseError(i + 1, line, 'unexpected line');
  });
  for (const set of sets.values()) set.members.sort();
  return sets;
}
