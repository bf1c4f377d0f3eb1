// What the dataplane remembers between applies: validated chains and IP sets (by object), the
// state its last apply left (unchanged objects are skipped by identity), the endpoints its last
// plumbing sync covered, and the batching of many route/neighbour commands. Every new object is
// still checked in full, with the same errors.
import t from 'tap';
import type { LocalEndpoint } from '../../compiler/desired-state.js';
import type { IpSetSpec, RenderedChain, Ruleset } from '../../compiler/ruleset.js';
import type { IptablesBackend } from '../../dataplane/backend.js';
import { createDataplane } from '../../dataplane/dataplane.js';
import { ipSetsAfter, planIpSets } from '../../dataplane/ipset-plan.js';
import { filterTableAfter, planIptables } from '../../dataplane/iptables-plan.js';
import { parseIptablesSave } from '../../dataplane/iptables-save.js';
import { IP_BATCH_MIN, PlumbingError, syncWorkloadPlumbing } from '../../dataplane/plumbing.js';
import { DataplaneInputError, validateRuleset } from '../../dataplane/validate.js';
import { FakeRunner } from '../helpers/fake-runner.js';
import { chain, emptyRuleset, handRuleset, saveText } from './hand-ruleset.js';

const NFT: IptablesBackend = {
  mode: 'nft', ipVersion: 4, save: 'iptables-nft-save', restore: 'iptables-nft-restore', waitArgs: ['--wait'], version: '1.8.9',
};
const A = { iface: 'cali0000000000a', ip: '198.18.0.2' };
const B = { iface: 'cali0000000000b', ip: '198.18.0.3' };
const allowWeb = { name: 'web', to: B.iface, from: [A.ip], proto: 'tcp' as const, port: 80 };
const base = (): Ruleset => handRuleset({ workloads: [A, B], allows: [allowWeb] });

const errorOf = (f: () => unknown): Error | undefined => {
  try { f(); return undefined; } catch (e) { return e as Error; }
};

t.test('validation is remembered per object, and the result is the same', async (t) => {
  const rs = base();
  const first = validateRuleset(rs, 4);
  const second = validateRuleset(rs, 4);
  t.same(second, first);
  const set = rs.ipSets[0]!;
  t.equal(second.ipSets.get(set.name), first.ipSets.get(set.name), 'a known set gives the very same checked copy');
  t.equal(validateRuleset(structuredClone(rs), 4).ipSets.get(set.name)!.members.length, 1, 'copies are checked afresh');
});

t.test('a known chain is re-checked for references that no longer resolve', async (t) => {
  const rs = base();
  validateRuleset(rs, 4);
  const withoutPolicy = { ...rs, chains: rs.chains.filter((c) => c.name !== 'cali-pi-web') };
  const err = errorOf(() => validateRuleset(withoutPolicy, 4));
  t.ok(err instanceof DataplaneInputError);
  const fresh = errorOf(() => validateRuleset(structuredClone(withoutPolicy), 4));
  t.equal(err?.message, fresh?.message, 'the same error as for objects never seen');
  t.match(err?.message, /rules\[\d+\]\.spec: jumps to a chain that is not in the ruleset: "cali-pi-web"/);

  const withoutSet = { ...rs, ipSets: [] };
  const setErr = errorOf(() => validateRuleset(withoutSet, 4));
  t.match(setErr?.message, /matches an IP set that is not in the ruleset: "cali40s:web"/);
  t.equal(setErr?.message, errorOf(() => validateRuleset(structuredClone(withoutSet), 4))?.message);
});

t.test('duplicates are found among known objects too', async (t) => {
  const rs = base();
  validateRuleset(rs, 4);
  t.match(errorOf(() => validateRuleset({ ...rs, chains: [...rs.chains, rs.chains[0]!] }, 4))?.message, /duplicate chain/);
  t.match(errorOf(() => validateRuleset({ ...rs, ipSets: [...rs.ipSets, rs.ipSets[0]!] }, 4))?.message, /duplicate IP set/);
});

t.test('a new object is checked in full even when a good one of that name was seen', async (t) => {
  const rs = base();
  validateRuleset(rs, 4);
  const good = rs.ipSets[0]!;
  const cases: [IpSetSpec, RegExp][] = [
    [{ ...good, members: ['198.18.0.2', '198.18.0.999'] }, /ipSets\[0\]\.members\[1\].*198\.18\.0\.999/],
    [{ ...good, members: ['198.18.0.0/0'] }, /members\[0\]/],
    [{ ...good, members: ['198.18.0.2 ; rm -rf'] }, /members\[0\]/],
    [{ ...good, maxelem: 0 }, /maxelem/],
    [{ ...good, family: 'inet6' }, /family/],
  ];
  for (const [bad, pattern] of cases) {
    t.match(errorOf(() => validateRuleset({ ...rs, ipSets: [bad] }, 4))?.message, pattern, JSON.stringify(bad).slice(0, 80));
  }
  const goodChain = rs.chains.find((c) => c.name === 'cali-pi-web')!;
  const badChains: [RenderedChain, RegExp][] = [
    [{ ...goodChain, rules: [{ ...goodChain.rules[0]!, spec: `${goodChain.rules[0]!.spec}\n-F` }] }, /single line/],
    [{ ...goodChain, rules: [{ ...goodChain.rules[0]!, hash: 'AAAAAAAAAAAAAAAA' }] }, /must carry the comment/],
    [{ ...goodChain, name: 'cali-pi-web; rm' }, /chains\[\d+\]\.name/],
  ];
  for (const [bad, pattern] of badChains) {
    const chains = rs.chains.map((c) => (c === goodChain ? bad : c));
    t.match(errorOf(() => validateRuleset({ ...rs, chains }, 4))?.message, pattern);
  }
  t.match(errorOf(() => validateRuleset({ ipVersion: 6, chains: [], hooks: [], ipSets: [good] }, 6))?.message, /must start with "cali6"/,
    'a set checked for IPv4 is checked again for IPv6');
});

t.test('planning against the state the previous apply left skips unchanged objects', async (t) => {
  const rs = base();
  let want = validateRuleset(rs, 4);
  const table0 = parseIptablesSave(saveText(emptyRuleset(4)));
  const ipt = planIptables(table0, want);
  const ips = planIpSets(new Map(), table0, want);
  let table = filterTableAfter(table0, want, ipt);
  let sets = ipSetsAfter(new Map(), want, ips);

  want = validateRuleset(rs, 4);
  t.equal(planIptables(table, want).input, null, 'same objects: no iptables input');
  t.equal(planIpSets(sets, table, want).preInput, null, 'same objects: no ipset input');

  // A changed set (a new object) is compared member by member.
  const grown = { ...rs, ipSets: [{ ...rs.ipSets[0]!, members: ['198.18.0.2', '198.18.0.7'] }] };
  want = validateRuleset(grown, 4);
  const p = planIpSets(sets, table, want);
  t.equal(p.preInput, 'add cali40s:web 198.18.0.7\n');
  sets = ipSetsAfter(sets, want, p);
  table = filterTableAfter(table, want, planIptables(table, want));
  // Equal content in new objects: compared, found equal, nothing written.
  const copy = validateRuleset(structuredClone(grown), 4);
  t.equal(planIptables(table, copy).input, null);
  t.equal(planIpSets(sets, table, copy).preInput, null);
  // A re-read kernel that lost a member is repaired.
  const lost = new Map(sets);
  lost.set('cali40s:web', { ...sets.get('cali40s:web')!, members: ['198.18.0.2'] });
  t.equal(planIpSets(lost, table, want).preInput, 'add cali40s:web 198.18.0.7\n');
});

// ---- plumbing

const ep = (n: number, extra: Partial<LocalEndpoint> = {}): LocalEndpoint => ({
  id: `node/k8s/pod-${n}/eth0`, interfaceName: `cali${String(n).padStart(11, '0')}`, active: true, mac: '02:00:c6:12:00:02',
  ipv4Nets: [`198.18.1.${n}/32`], ipv6Nets: [], ingressPolicies: [], egressPolicies: [], profileIds: [], ...extra,
});

interface Kernel { links: string[]; routes: object[]; neigh: object[] }

function plumbingKernel(k: Kernel, batchStderr?: (input: string) => string): FakeRunner {
  return new FakeRunner()
    .reply('ip', () => JSON.stringify(k.links.map((ifname) => ({ ifname }))), ['-j', 'link', 'show'])
    .reply('ip', () => JSON.stringify(k.routes), ['-4', '-j', 'route', 'show'])
    .reply('ip', () => JSON.stringify(k.neigh), ['-4', '-j', 'neigh', 'show'])
    .on((c) => c.command === 'ip' && ['replace', 'del'].includes(c.args[2]!) ? '' : undefined)
    .on((c) => {
      if (c.command !== 'ip' || !c.args.includes('-batch')) return undefined;
      const stderr = batchStderr?.(c.input ?? '') ?? '';
      return { stdout: '', stderr, exitCode: stderr === '' ? 0 : 1 };
    })
    .on((c) => c.command === 'sysctl' && c.args[0] === '-e'
      ? c.args.slice(1).map((key) => `${key} = 1`).join('\n') + '\n' : undefined);
}

t.test(`from ${IP_BATCH_MIN} commands on, routes and neighbours go in one ip -batch`, async (t) => {
  const eps = [1, 2, 3, 4].map((n) => ep(n));
  const runner = plumbingKernel({ links: eps.map((e) => e.interfaceName), routes: [], neigh: [] });
  const r = await syncWorkloadPlumbing(runner, 4, eps);
  const batches = runner.calls.filter((c) => c.args.includes('-batch'));
  t.equal(batches.length, 1);
  t.same(batches[0]!.args, ['-4', '-force', '-batch', '-']);
  t.equal(batches[0]!.input, [
    ...eps.map((e, i) => `route replace 198.18.1.${i + 1}/32 dev ${e.interfaceName} scope link proto 80`),
    ...eps.map((e, i) => `neigh replace 198.18.1.${i + 1} lladdr 02:00:c6:12:00:02 dev ${e.interfaceName} nud permanent protocol 80`),
  ].join('\n') + '\n');
  t.equal(runner.calls.filter((c) => c.command === 'ip' && ['replace', 'del'].includes(c.args[2]!)).length, 0, 'no single commands');
  t.equal(r.routesAdded.length, 4);
  t.equal(r.neighboursAdded.length, 4);
  t.same(r.commands[0], ['ip', '-4', 'route', 'replace', '198.18.1.1/32', 'dev', eps[0]!.interfaceName, 'scope', 'link', 'proto', '80'],
    'the result lists each command as argv, as when run one by one');
});

t.test('a batch that fails in places: missing interfaces are pending, other failures are errors', async (t) => {
  const eps = [1, 2, 3, 4].map((n) => ep(n));
  const gone = eps[1]!.interfaceName;
  const stderr = (input: string): string => input.split('\n').flatMap((line, i) => {
    if (line.includes(`dev ${gone}`)) return [`Cannot find device "${gone}"`, `Command failed -:${i + 1}`];
    if (line.startsWith('neigh replace 198.18.1.4 ')) return ['RTNETLINK answers: Operation not permitted', `Command failed -:${i + 1}`];
    return [];
  }).join('\n');
  const runner = plumbingKernel({ links: eps.map((e) => e.interfaceName), routes: [], neigh: [] }, stderr);
  const err = await syncWorkloadPlumbing(runner, 4, eps).catch((e: unknown) => e);
  t.ok(err instanceof PlumbingError);
  const e = err as PlumbingError;
  t.equal(e.failures.length, 1);
  t.match(e.message, /Operation not permitted/);
  t.match(e.failures[0]!.args.join(' '), /neigh replace 198\.18\.1\.4 /);
  t.same(e.result.pendingInterfaces, [gone]);
  t.same(e.result.routesAdded.map((r) => r.dev), [1, 3, 4].map((n) => ep(n).interfaceName));
  t.same(e.result.neighboursAdded.map((r) => r.dev), [1, 3].map((n) => ep(n).interfaceName));
});

t.test('the dataplane skips the plumbing sync while the endpoint objects are the same', async (t) => {
  const eps = [ep(1), ep(2)];
  const runner = plumbingKernel({ links: eps.map((e) => e.interfaceName), routes: [], neigh: [] })
    .reply('iptables-nft-save', saveText(emptyRuleset(4)))
    .reply('ipset', '', ['save'])
    .reply('ipset', '', ['restore'])
    .reply('iptables-nft-restore', '');
  const dp = createDataplane({ ipVersion: 4, runner, backend: NFT });
  const rs = base();
  const reads = (): number => runner.calls.filter((c) => c.args.includes('route') && c.args.includes('show')).length;
  await dp.apply(rs, { endpoints: eps, useCache: true });
  t.equal(reads(), 1);
  const before = runner.calls.length;
  const again = await dp.apply(rs, { endpoints: [...eps], useCache: true });
  t.equal(runner.calls.length, before, 'same objects: not a single command');
  t.same(again.plumbing?.commands, []);

  await dp.apply(rs, { endpoints: [eps[0]!, ep(2, { mac: '02:00:c6:12:00:09' })], useCache: true });
  t.equal(reads(), 2, 'a changed endpoint (a new object) brings a read and a sync');
  t.ok(runner.calls.some((c) => c.args.join(' ').includes('lladdr 02:00:c6:12:00:09')), 'the new MAC is written');

  await dp.apply(rs, { endpoints: [eps[0]!], useCache: false });
  t.equal(reads(), 3, 'without useCache, always a sync');
  await dp.apply(rs, { endpoints: [eps[0]!], useCache: true });
  t.equal(reads(), 3);
  dp.invalidate();
  await dp.apply(rs, { endpoints: [eps[0]!], useCache: true });
  t.equal(reads(), 4, 'invalidate (the periodic re-read) syncs again, repairing drift');
});

t.test('an endpoint whose interface is missing is retried on the next apply', async (t) => {
  const kernel: Kernel = { links: [], routes: [], neigh: [] };
  const runner = plumbingKernel(kernel)
    .reply('iptables-nft-save', saveText(emptyRuleset(4)))
    .reply('ipset', '', ['save'])
    .reply('ipset', '', ['restore'])
    .reply('iptables-nft-restore', '');
  const dp = createDataplane({ ipVersion: 4, runner, backend: NFT });
  const eps = [ep(1)];
  const r1 = await dp.apply(emptyRuleset(4), { endpoints: eps, useCache: true });
  t.same(r1.plumbing?.pendingInterfaces, [eps[0]!.interfaceName]);
  kernel.links.push(eps[0]!.interfaceName);
  const r2 = await dp.apply(emptyRuleset(4), { endpoints: eps, useCache: true });
  t.same(r2.plumbing?.pendingInterfaces, []);
  t.equal(r2.plumbing?.routesAdded.length, 1, 'the same objects, but pending: synced again');
});

t.test('chain() helper sanity: hand rules carry their hash', async (t) => {
  t.doesNotThrow(() => validateRuleset({ ipVersion: 4, chains: [chain('cali-x', ['-j RETURN'])], hooks: [], ipSets: [] }, 4));
});
