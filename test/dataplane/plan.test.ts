// Planning without a kernel: the iptables-restore and ipset restore inputs.
import t from 'tap';
import type { Ruleset } from '../../compiler/ruleset.js';
import { parseIpsetSave } from '../../dataplane/ipset-save.js';
import { planIpSets, tempIpSetName } from '../../dataplane/ipset-plan.js';
import { parseIptablesSave } from '../../dataplane/iptables-save.js';
import { chainsTouched, filterTableAfter, planIptables } from '../../dataplane/iptables-plan.js';
import { validateRuleset } from '../../dataplane/validate.js';
import { chain, emptyRuleset, handRuleset, ipsetSaveText, saveText } from './hand-ruleset.js';

const A = { iface: 'cali0000000000a', ip: '198.18.0.2' };
const B = { iface: 'cali0000000000b', ip: '198.18.0.3' };
const C = { iface: 'cali0000000000c', ip: '198.18.0.4' };
const base = handRuleset({
  workloads: [A, B],
  allows: [{ name: 'web', to: B.iface, from: [A.ip], proto: 'tcp', port: 80 }],
});
const FOREIGN = ['-A FORWARD -s 198.19.9.9/32 -j ACCEPT', '-A INPUT -j DOCKER-INPUT'];

const inputLines = (input: string | null): string[] => (input ?? '').split('\n').filter((l) => l !== '');
const plan = (current: string, desired: Ruleset) => planIptables(parseIptablesSave(current), validateRuleset(desired, 4));

t.test('empty kernel: everything created, hooks inserted after their chains are filled', async (t) => {
  const p = plan('', base);
  t.same(p.chainsCreated, base.chains.map((c) => c.name));
  t.same(p.hooksInserted.map((h) => h.chain), ['INPUT', 'FORWARD', 'OUTPUT']);
  const lines = inputLines(p.input);
  t.equal(lines[0], '*filter');
  t.equal(lines.at(-1), 'COMMIT');
  const firstRule = lines.findIndex((l) => l.startsWith('-A '));
  const lastDecl = lines.findLastIndex((l) => l.startsWith(':'));
  t.ok(lastDecl < firstRule, 'all chains declared before any rule');
  const firstHook = lines.findIndex((l) => l.startsWith('-I '));
  t.ok(firstHook > lines.findLastIndex((l) => l.startsWith('-A ')), 'hooks inserted after the chains they jump to are filled');
  t.equal(lines.find((l) => l.startsWith('-I FORWARD')), `-I FORWARD 1 ${base.hooks[1]!.rule.spec}`, 'insert at position 1');
});

t.test('in sync: nothing to write', async (t) => {
  const p = plan(saveText(base, FOREIGN), base);
  t.equal(p.input, null);
  t.same(chainsTouched(p), []);
});

t.test('only the chains whose hashes differ are written', async (t) => {
  // One more workload: dispatch chains change, C's chains are new, nothing else moves.
  const grown = handRuleset({
    workloads: [A, B, C],
    allows: [{ name: 'web', to: B.iface, from: [A.ip], proto: 'tcp', port: 80 }],
  });
  const p = plan(saveText(base, FOREIGN), grown);
  t.same(p.chainsCreated, [`cali-fw-${C.iface}`, `cali-tw-${C.iface}`]);
  t.same(p.chainsRewritten, ['cali-from-wl-dispatch', 'cali-to-wl-dispatch']);
  t.same(p.chainsDeleted, []);
  t.same(p.hooksInserted, []);
  t.same(p.hooksRemoved, []);
  const named = new Set(inputLines(p.input).flatMap((l) => /^(?::|-[AIDX] )(\S+)/.exec(l)?.[1] ?? []));
  t.same([...named].sort(), [...p.chainsCreated, ...p.chainsRewritten].sort(), 'the input names no other chain');
  t.notMatch(p.input!, /^-[AID] (INPUT|FORWARD|OUTPUT) /m, 'built-in chains untouched');
});

t.test('a chain with a foreign or altered rule counts as different', async (t) => {
  const kernel = saveText(base).replace(/(-A cali-fw-\S+) -m comment --comment "cali:\S+" -j RETURN/, '$1 -j RETURN');
  const p = plan(kernel, base);
  t.same(p.chainsRewritten, [`cali-fw-${A.iface}`]);
  const extra = saveText(base).replace('COMMIT', `-A cali-FORWARD -j ACCEPT\nCOMMIT`);
  t.same(plan(extra, base).chainsRewritten, ['cali-FORWARD'], 'an extra rule appended by hand');
});

t.test('deletion: references removed first, then flush, then -X, all in one input', async (t) => {
  const shrunk = handRuleset({ workloads: [A] });
  const p = plan(saveText(base), shrunk);
  t.same(p.chainsDeleted, [`cali-fw-${B.iface}`, 'cali-pi-web', `cali-tw-${B.iface}`].sort());
  const lines = inputLines(p.input);
  for (const name of p.chainsDeleted) {
    const decl = lines.indexOf(`:${name} - [0:0]`);
    const del = lines.indexOf(`-X ${name}`);
    t.ok(decl >= 0 && del > decl, `${name} flushed before it is deleted`);
    // every chain that referenced it was rewritten (flushed) earlier in the same input
    const refs = lines.filter((l) => l.startsWith('-A ') && l.includes(` ${name}`));
    t.same(refs, [], `nothing re-adds a reference to ${name}`);
  }
  t.ok(lines.indexOf(':cali-to-wl-dispatch - [0:0]') < lines.indexOf(`-X cali-tw-${B.iface}`), 'the referencing dispatch chain is flushed first');
  t.ok(lines.findIndex((l) => l.startsWith('-X ')) > lines.findLastIndex((l) => l.startsWith('-A ')), '-X lines come last');
});

t.test('removing everything: hooks deleted by spec before their chains, foreign rules untouched', async (t) => {
  const p = plan(saveText(base, FOREIGN), emptyRuleset(4));
  const lines = inputLines(p.input);
  t.same(p.hooksRemoved.map((h) => h.chain), ['INPUT', 'FORWARD', 'OUTPUT']);
  t.equal(lines.find((l) => l.startsWith('-D FORWARD')), `-D FORWARD ${base.hooks[1]!.rule.spec}`);
  t.ok(lines.findLastIndex((l) => l.startsWith('-D ')) < lines.findIndex((l) => l.startsWith('-X ')), 'hooks go before chains');
  t.same(p.chainsDeleted, base.chains.map((c) => c.name));
  t.notOk(lines.some((l) => l.includes('198.19.9.9') || l.includes('DOCKER')), 'no foreign rule named');
});

t.test('hooks: inserted on top of foreign rules, stale copies deleted, nothing else touched', async (t) => {
  const hook = base.hooks[1]!.rule;
  const noHooks = saveText({ ...base, hooks: [] }, FOREIGN);
  const p1 = plan(noHooks, base);
  t.same(p1.hooksInserted.map((h) => h.chain), ['INPUT', 'FORWARD', 'OUTPUT']);
  t.same(p1.hooksRemoved, []);
  t.same(inputLines(p1.input).filter((l) => !l.startsWith('-I ')), ['*filter', 'COMMIT'], 'only inserts');

  // A stale hook (old hash) below the right one: only the stale one goes.
  const stale = chain('FORWARD', ['-j cali-FORWARD-OLD']).rules[0]!;
  const withStale = saveText(base, [`-A FORWARD ${stale.spec}`, ...FOREIGN]);
  const p2 = plan(withStale, base);
  t.same(p2.hooksRemoved, [{ chain: 'FORWARD', spec: stale.spec }]);
  t.same(p2.hooksInserted, []);
  t.same(inputLines(p2.input), ['*filter', `-D FORWARD ${stale.spec}`, 'COMMIT']);

  // The right hook, but below a foreign rule: moved back to the top.
  const below = saveText({ ...base, hooks: base.hooks.filter((h) => h.chain !== 'FORWARD') },
    ['-A FORWARD -s 198.19.9.9/32 -j ACCEPT', `-A FORWARD ${hook.spec}`]);
  const p3 = plan(below, base);
  t.same(inputLines(p3.input), ['*filter', `-D FORWARD ${hook.spec}`, `-I FORWARD 1 ${hook.spec}`, 'COMMIT']);

  // Two identical copies, one on top: -D would hit the top one, so both go and one comes back.
  const dup = saveText(base, [`-A FORWARD ${hook.spec}`]);
  const p4 = plan(dup, base);
  t.same(inputLines(p4.input), ['*filter', `-D FORWARD ${hook.spec}`, `-D FORWARD ${hook.spec}`, `-I FORWARD 1 ${hook.spec}`, 'COMMIT']);
});

t.test('an unwanted chain another program jumps to is flushed, not deleted', async (t) => {
  const kernel = saveText(base, ['-A FORWARD -j cali-pi-web']);
  const p = plan(kernel, handRuleset({ workloads: [A, B] }));
  t.same(p.chainsKeptReferenced, ['cali-pi-web']);
  t.notOk(p.chainsDeleted.includes('cali-pi-web'));
  t.notMatch(p.input!, /-X cali-pi-web/);
  t.match(p.input!, /^:cali-pi-web - \[0:0\]$/m);
});

t.test('filterTableAfter predicts the re-read', async (t) => {
  const current = parseIptablesSave(saveText(base, FOREIGN));
  const shrunk = validateRuleset(handRuleset({ workloads: [A] }), 4);
  const p = planIptables(current, shrunk);
  const after = filterTableAfter(current, shrunk, p);
  t.equal(planIptables(after, shrunk).input, null, 'nothing left to do against the predicted state');
  t.same(after.chains.get('FORWARD')!.rules.map((r) => r.spec),
    [shrunk.hooks.get('FORWARD')!.spec, '-s 198.19.9.9/32 -j ACCEPT']);
});

// ---- IP sets

const SET = 'cali40s:web';
const withMembers = (members: string[], maxelem = 1024): Ruleset =>
  ({ ...base, ipSets: [{ ...base.ipSets[0]!, members, maxelem }] });
const ipPlan = (kernel: Ruleset | null, desired: Ruleset, extra: string[] = [], foreign: string[] = [], opts = {}) =>
  planIpSets(
    parseIpsetSave(kernel ? ipsetSaveText(kernel, extra) : extra.join('\n'), 4),
    parseIptablesSave(saveText(kernel ?? emptyRuleset(4), foreign)),
    validateRuleset(desired, 4),
    opts,
  );
const hostsIn = (third: number, n: number): string[] => Array.from({ length: n }, (_, i) => `198.18.${third}.${i + 1}`);

t.test('ipset: a new set is created and filled before the iptables write', async (t) => {
  const p = ipPlan(null, base);
  t.equal(p.preInput, `create ${SET} hash:net family inet maxelem 1024\nadd ${SET} 198.18.0.2\n`);
  t.equal(p.postInput, null);
  t.same(p.created, [SET]);
});

t.test('ipset: small changes are add/del in place', async (t) => {
  const p = ipPlan(withMembers(['198.18.0.2', '198.18.0.9']), withMembers(['198.18.0.2', '198.18.0.5/32']));
  t.equal(p.preInput, `del ${SET} 198.18.0.9\nadd ${SET} 198.18.0.5\n`, 'members compared in canonical form');
  t.same(p.updated, [SET]);
  t.same(p.swapped, []);
  t.equal(ipPlan(withMembers(['198.18.0.2']), withMembers(['198.18.0.2/32'])).preInput, null, 'no change, no input');
});

t.test('ipset: a big change refills a temporary set and swaps it in', async (t) => {
  const p = ipPlan(withMembers(hostsIn(1, 40)), withMembers(hostsIn(2, 40)));
  const tmp = tempIpSetName(SET, 4);
  t.equal(tmp, 'cali4ts:web');
  t.same(p.swapped, [SET]);
  const lines = inputLines(p.preInput);
  t.equal(lines[0], `create ${tmp} hash:net family inet maxelem 1024`);
  t.equal(lines.filter((l) => l.startsWith(`add ${tmp} `)).length, 40);
  t.same(lines.slice(-2), [`swap ${tmp} ${SET}`, `destroy ${tmp}`]);
  t.notOk(lines.some((l) => l.startsWith(`add ${SET} `) || l.startsWith(`del ${SET} `)), 'the live set is never edited');
  const custom = ipPlan(withMembers(hostsIn(1, 40)), withMembers(hostsIn(2, 40)), [], [], { swapMinChanges: 1000 });
  t.same(custom.updated, [SET], 'threshold configurable');
});

t.test('ipset: a maxelem change is a swap; a leftover temporary set is destroyed first', async (t) => {
  const leftover = ['create cali4ts:web hash:net family inet hashsize 1024 maxelem 1024', 'add cali4ts:web 198.18.7.7'];
  const p = ipPlan(withMembers(['198.18.0.2']), withMembers(['198.18.0.2'], 4096), leftover);
  const lines = inputLines(p.preInput);
  t.equal(lines[0], 'destroy cali4ts:web');
  t.equal(lines[1], 'create cali4ts:web hash:net family inet maxelem 4096');
  t.same(p.swapped, [SET]);
  t.equal(p.postInput, null, 'the leftover is not destroyed twice');
});

t.test('ipset: unwanted sets are destroyed after the iptables write, unless another program uses them', async (t) => {
  const p = ipPlan(base, emptyRuleset(4));
  t.equal(p.preInput, null);
  t.equal(p.postInput, `destroy ${SET}\n`);
  const kept = ipPlan(base, emptyRuleset(4), [], [`-A INPUT -m set --match-set ${SET} src -j ACCEPT`]);
  t.equal(kept.postInput, null);
  t.same(kept.keptReferenced, [SET]);
});

t.test('ipset: temporary names stay within 31 characters', async (t) => {
  const long = 'cali40s:' + 'x'.repeat(23);
  t.equal(tempIpSetName(long, 4).length, 31);
  t.equal(tempIpSetName(long, 4), 'cali4ts:' + 'x'.repeat(23));
  const other = tempIpSetName('cali4-something-else-entirely-', 4);
  t.ok(other.length <= 31 && other.startsWith('cali4t'));
  t.equal(tempIpSetName('cali60s:abc', 6), 'cali6ts:abc');
});
