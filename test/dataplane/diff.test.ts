// `diffRuleset`: a unified diff a person can read, empty when in sync.
import t from 'tap';
import type { Ruleset } from '../../compiler/ruleset.js';
import { diffRuleset } from '../../dataplane/diff.js';
import { parseIpsetSave } from '../../dataplane/ipset-save.js';
import { parseIptablesSave } from '../../dataplane/iptables-save.js';
import type { KernelState } from '../../dataplane/types.js';
import { unifiedDiff } from '../../dataplane/unified-diff.js';
import { emptyRuleset, handRuleset, ipsetSaveText, saveText } from './hand-ruleset.js';

const A = { iface: 'cali0000000000a', ip: '198.18.0.2' };
const B = { iface: 'cali0000000000b', ip: '198.18.0.3' };
const web = (port: number, from: string[]): Ruleset =>
  handRuleset({ workloads: [A, B], allows: [{ name: 'web', to: B.iface, from, proto: 'tcp', port }] });
const kernel = (r: Ruleset, foreign: string[] = [], save?: string): KernelState => ({
  ipVersion: 4,
  filter: parseIptablesSave(save ?? saveText(r, foreign)),
  ipSets: parseIpsetSave(ipsetSaveText(r), 4),
});

t.test('in sync: empty, whatever other software has in the table', async (t) => {
  const r = web(80, [A.ip]);
  t.equal(diffRuleset(kernel(r, ['-A FORWARD -s 198.19.9.9/32 -j ACCEPT', '-A INPUT -j DROP']), r), '');
});

t.test('a changed rule and a new member', async (t) => {
  const d = diffRuleset(kernel(web(80, [A.ip])), web(443, [A.ip, '198.18.0.9']));
  const pi = web(80, [A.ip]).chains.find((c) => c.name === 'cali-pi-web')!;
  const pi2 = web(443, []).chains.find((c) => c.name === 'cali-pi-web')!;
  t.equal(d, [
    '--- kernel/ipv4/filter/cali-pi-web',
    '+++ desired/ipv4/filter/cali-pi-web',
    '@@ -1,3 +1,3 @@',
    ' :cali-pi-web - [0:0]',
    `--A cali-pi-web ${pi.rules[0]!.spec}`,
    `+-A cali-pi-web ${pi2.rules[0]!.spec}`,
    ` -A cali-pi-web ${pi.rules[1]!.spec}`,
    '--- kernel/ipv4/ipset/cali40s:web',
    '+++ desired/ipv4/ipset/cali40s:web',
    '@@ -1,2 +1,3 @@',
    ' create cali40s:web hash:net family inet maxelem 1024',
    ' add cali40s:web 198.18.0.2',
    '+add cali40s:web 198.18.0.9',
    '',
  ].join('\n'));
});

t.test('empty kernel: the whole ruleset as additions', async (t) => {
  const r = web(80, [A.ip]);
  const d = diffRuleset(kernel(emptyRuleset(4)), r);
  t.same(d.split('\n').filter((l) => l.startsWith('-') && !l.startsWith('--- ')), [], 'nothing removed');
  for (const c of r.chains) t.match(d, `+++ desired/ipv4/filter/${c.name}\n@@ -0,0 +1,${c.rules.length + 1} @@\n+:${c.name} - [0:0]\n`);
  t.match(d, `+-I FORWARD 1 ${r.hooks[1]!.rule.spec}`, 'hooks shown as inserts at the top');
  t.match(d, '+create cali40s:web hash:net family inet maxelem 1024\n+add cali40s:web 198.18.0.2\n');
});

t.test('a flushed chain and a hook pushed down by another rule', async (t) => {
  const r = web(80, [A.ip]);
  const tw = `cali-tw-${B.iface}`;
  const save = saveText({ ...r, hooks: r.hooks.filter((h) => h.chain !== 'FORWARD') },
    ['-A FORWARD -j DOCKER', `-A FORWARD ${r.hooks[1]!.rule.spec}`])
    .split('\n').filter((l) => !l.startsWith(`-A ${tw} `)).join('\n');
  const d = diffRuleset(kernel(r, [], save), r);
  t.match(d, `--- kernel/ipv4/filter/FORWARD\n+++ desired/ipv4/filter/FORWARD\n@@ -1,1 +1,1 @@\n--I FORWARD 2 ${r.hooks[1]!.rule.spec}\n+-I FORWARD 1 ${r.hooks[1]!.rule.spec}\n`);
  t.match(d, `--- kernel/ipv4/filter/${tw}\n+++ desired/ipv4/filter/${tw}\n@@ -1,1 +1,`);
  t.notMatch(d, /DOCKER/, 'other software\'s rules are not shown');
});

t.test('a rule that lost its comment is shown as replaced', async (t) => {
  const r = web(80, [A.ip]);
  const save = saveText(r).replace(/(-A cali-OUTPUT) -m comment --comment "cali:\S+" (-o cali\+ -j RETURN)/, '$1 $2');
  const d = diffRuleset(kernel(r, [], save), r);
  t.match(d, /^--A cali-OUTPUT -o cali\+ -j RETURN$/m);
  t.match(d, /^\+-A cali-OUTPUT -m comment --comment "cali:\S+" -o cali\+ -j RETURN$/m);
});

t.test('unifiedDiff: context and separate hunks', async (t) => {
  const lines = (keys: string[]) => keys.map((k) => ({ key: k, text: k }));
  const a = lines('abcdefghijklmnop'.split(''));
  const b = lines('abcdXfghijklmnoYp'.split(''));
  t.equal(unifiedDiff('old', 'new', a, b), [
    '--- old', '+++ new',
    '@@ -2,7 +2,7 @@', ' b', ' c', ' d', '-e', '+X', ' f', ' g', ' h',
    '@@ -13,4 +13,5 @@', ' m', ' n', ' o', '+Y', ' p', '',
  ].join('\n'));
  t.equal(unifiedDiff('old', 'new', a, a), '');
  t.equal(unifiedDiff('old', 'new', [], lines(['x'])), '--- old\n+++ new\n@@ -0,0 +1,1 @@\n+x\n');
});
