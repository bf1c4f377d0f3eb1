// Every golden ruleset is accepted by the kernel: in a network namespace the
// test creates (and deletes), load the scenario's IP sets with `ipset
// restore`, check its rules with `iptables-restore --test`, load them for
// real, and read back every rule's hash comment with iptables-save. The same
// for IPv6 where the scenario has IPv6 golden files. IP sets are per network
// namespace, so nothing touches the host's own sets or rules.
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { fixturesDir } from '../helpers/paths.js';
import { scenarioDirs } from './scenarios.js';

function run(cmd: string, args: string[], input?: string): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(cmd, args, { input, encoding: 'utf8' });
  if (r.error) return { status: -1, stdout: '', stderr: String(r.error) };
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

const isRoot = process.getuid?.() === 0;
// The backend this host uses (DESIGN.md section 7): iptables-nft here, where
// `iptables --version` says "(nf_tables)"; the legacy tools otherwise.
const backend = /\(nf_tables\)/.test(run('iptables', ['--version']).stdout) ? 'nft' : 'legacy';
const tool = (v: 4 | 6, what: 'restore' | 'save'): string => `${v === 4 ? 'iptables' : 'ip6tables'}-${backend}-${what}`;
const missing = ['ip', 'ipset', tool(4, 'restore'), tool(6, 'restore'), tool(4, 'save'), tool(6, 'save')].filter((c) => run('which', [c]).status !== 0);

if (!isRoot) {
  t.plan(0, 'kernel acceptance needs root (network namespaces, iptables, ipset): not running as root');
} else if (missing.length > 0) {
  t.plan(0, `kernel acceptance needs ${missing.join(', ')}: not installed`);
} else {
  t.test('IP sets are per network namespace on this machine', async (t) => {
    const ns = `tabby-t-${randomBytes(4).toString('hex')}`;
    const set = `cali40s:probe${randomBytes(3).toString('hex')}`;
    t.equal(run('ip', ['netns', 'add', ns]).status, 0, `created ${ns}`);
    t.teardown(() => void run('ip', ['netns', 'del', ns]));
    t.equal(run('ip', ['netns', 'exec', ns, 'ipset', 'create', set, 'hash:net']).status, 0);
    t.equal(run('ip', ['netns', 'exec', ns, 'ipset', 'list', '-n']).stdout.trim(), set, 'visible inside');
    t.notOk(run('ipset', ['list', '-n']).stdout.split('\n').includes(set), 'invisible in the host namespace');
  });

  for (const name of scenarioDirs()) {
    const dir = join(fixturesDir(), name);
    if (!existsSync(join(dir, 'iptables.txt'))) continue;
    t.test(name, async (t) => {
      const ns = `tabby-t-${randomBytes(4).toString('hex')}`;
      const add = run('ip', ['netns', 'add', ns]);
      t.equal(add.status, 0, `created namespace ${ns} ${add.stderr}`);
      if (add.status !== 0) return;
      t.teardown(() => {
        const del = run('ip', ['netns', 'del', ns]);
        if (del.status !== 0) throw new Error(`could not delete namespace ${ns}: ${del.stderr}`);
      });
      const inNs = (cmd: string, args: string[], input?: string) => run('ip', ['netns', 'exec', ns, cmd, ...args], input);

      for (const [v, tables, sets] of [
        [4, 'iptables.txt', 'ipset.txt'],
        [6, 'ip6tables.txt', 'ipset6.txt'],
      ] as const) {
        const restore = tool(v, 'restore');
        const save = tool(v, 'save');
        if (!existsSync(join(dir, tables))) continue;
        const rules = readFileSync(join(dir, tables), 'utf8');
        const ipsets = readFileSync(join(dir, sets), 'utf8');
        if (ipsets !== '') {
          const r = inNs('ipset', ['restore'], ipsets);
          t.equal(r.status, 0, `IPv${v}: ipset restore ${r.stderr}`);
        }
        const check = inNs(restore, ['--test'], rules);
        t.equal(check.status, 0, `IPv${v}: ${restore} --test accepts it ${check.stderr}`);
        const load = inNs(restore, [], rules);
        t.equal(load.status, 0, `IPv${v}: ${restore} loads it ${load.stderr}`);

        const saved = inNs(save, ['-t', 'filter']).stdout;
        const want = [...rules.matchAll(/--comment "cali:([A-Za-z0-9_-]{16})"/g)].map((m) => m[1]).sort();
        const got = [...saved.matchAll(/--comment "?cali:([A-Za-z0-9_-]{16})"?/g)].map((m) => m[1]).sort();
        t.same(got, want, `IPv${v}: the kernel holds exactly the golden rules (by hash)`);
        const setNames = [...ipsets.matchAll(/^create (\S+) /gm)].map((m) => m[1]).sort();
        const listed = inNs('ipset', ['list', '-n']).stdout.split('\n').filter((l) => l.startsWith(`cali${v}0`)).sort();
        t.same(listed, setNames, `IPv${v}: the kernel holds exactly the golden IP sets`);
        for (const s of setNames) {
          const members = inNs('ipset', ['list', s!]).stdout.split('Members:\n')[1]?.split('\n').filter((l) => l !== '').sort() ?? [];
          const golden = [...ipsets.matchAll(new RegExp(`^add ${s!.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} (\\S+)$`, 'gm'))].map((m) => m[1]).sort();
          t.same(members, golden, `${s}: members as ipset prints them`);
        }
      }
    });
  }
}
