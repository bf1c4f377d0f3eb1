// Reads the filter table and Tabby's IP sets for one address family.
import type { IptablesBackend } from './backend.js';
import { parseIpsetSave } from './ipset-save.js';
import { parseIptablesSave } from './iptables-save.js';
import type { CommandRunner } from './runner.js';
import type { KernelState } from './types.js';

export async function readKernelState(runner: CommandRunner, backend: IptablesBackend): Promise<KernelState> {
  const [save, sets] = await Promise.all([
    runner.run(backend.save, ['-t', 'filter']),
    runner.run('ipset', ['save']),
  ]);
  return {
    ipVersion: backend.ipVersion,
    filter: parseIptablesSave(save.stdout),
    ipSets: parseIpsetSave(sets.stdout, backend.ipVersion),
  };
}
