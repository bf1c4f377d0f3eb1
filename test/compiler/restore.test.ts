import t from 'tap';
import { compileRuleset } from '../../compiler/compile.js';
import { CompileError } from '../../compiler/errors.js';
import { ipSetMaxElem, ipSetMembers } from '../../compiler/ipsets.js';
import { hookDeleteLine, renderIpsetRestore, renderRestore, renderRestoreNoflush } from '../../compiler/restore.js';
import { endpoint, rule, state } from './state-builder.js';

const ds = state({
  endpoints: [endpoint('cali1', { profileIds: ['A'], ipv4Nets: ['198.18.0.2/32'] })],
  profiles: { A: { inbound: [rule({ action: 'allow', srcIpSetIds: ['s:aaa'] })], outbound: [rule({ action: 'allow' })] } },
  ipSets: {
    's:aaa': {
      v4: new Set(['198.18.0.10/32', '198.18.0.2/32', '198.18.0.9/32', '198.18.0.2/32', '10.0.0.0/24']),
      v6: new Set(['fd00:0:0::1/128', 'fd00::/64']),
    },
  },
});

t.test('full restore form', async (t) => {
  const rs = compileRuleset(ds, 4);
  const text = renderRestore(rs);
  const lines = text.trimEnd().split('\n');
  t.equal(lines[0], '*filter');
  t.equal(lines[lines.length - 1], 'COMMIT');
  t.ok(text.endsWith('COMMIT\n'));
  const decl = lines.filter((l) => l.startsWith(':'));
  t.same(decl, rs.chains.map((c) => `:${c.name} - [0:0]`), 'every chain declared, in order');
  t.notOk(lines.some((l) => /^:(INPUT|FORWARD|OUTPUT) /.test(l)), 'built-in chains are not declared');
  t.same(lines.filter((l) => l.startsWith('-I ')).map((l) => l.split(' ').slice(0, 3).join(' ')), ['-I INPUT 1', '-I FORWARD 1', '-I OUTPUT 1']);
  const appends = lines.filter((l) => l.startsWith('-A '));
  t.equal(appends.length, rs.chains.reduce((n, c) => n + c.rules.length, 0));
  t.ok(lines.indexOf(appends[0]!) > lines.indexOf(decl[decl.length - 1]!), 'rules after all declarations');
});

t.test('noflush form for chosen chains', async (t) => {
  const rs = compileRuleset(ds, 4);
  const text = renderRestoreNoflush(rs, ['cali-tw-cali1', 'cali-pri-A'], { insertHooks: [rs.hooks[1]!], deleteChains: ['cali-pri-old'], deleteHooks: [rs.hooks[0]!] });
  const lines = text.trimEnd().split('\n');
  t.same(lines.filter((l) => l.startsWith(':')), [':cali-pri-A - [0:0]', ':cali-tw-cali1 - [0:0]', ':cali-pri-old - [0:0]']);
  t.ok(lines.every((l) => !l.startsWith('-A ') || l.startsWith('-A cali-pri-A ') || l.startsWith('-A cali-tw-cali1 ')), 'only the chosen chains are written');
  t.equal(lines.filter((l) => l.startsWith('-I ')).length, 1);
  t.match(lines.find((l) => l.startsWith('-I ')), /^-I FORWARD 1 -m comment --comment "cali:\S{16}" -j cali-FORWARD$/);
  t.equal(lines.find((l) => l.startsWith('-D ')), hookDeleteLine(rs.hooks[0]!));
  t.equal(lines[lines.length - 2], '-X cali-pri-old');
  t.equal(renderRestoreNoflush(rs, []), '*filter\nCOMMIT\n', 'nothing to write');
  t.throws(() => renderRestoreNoflush(rs, ['cali-nope']), /not in the ruleset/);
  t.throws(() => renderRestoreNoflush(rs, [], { deleteChains: ['INPUT'] }), CompileError);
  t.throws(() => renderRestoreNoflush(rs, [], { deleteChains: ['cali-tw-cali1'] }), /still in the ruleset/);
  t.throws(() => renderRestoreNoflush(rs, [], { deleteChains: ['cali-x -j ACCEPT'] }), CompileError);
});

t.test('IP sets: only those a rendered rule uses, members as ipset prints them, sorted', async (t) => {
  const v4 = compileRuleset(ds, 4);
  t.same(v4.ipSets.map((s) => s.name), ['cali40s:aaa']);
  t.same(v4.ipSets[0]!.members, ['10.0.0.0/24', '198.18.0.2', '198.18.0.9', '198.18.0.10']);
  t.equal(v4.ipSets[0]!.family, 'inet');
  t.equal(v4.ipSets[0]!.maxelem, 1048576);
  t.equal(
    renderIpsetRestore(v4),
    [
      'create cali40s:aaa hash:net family inet maxelem 1048576 -exist',
      'flush cali40s:aaa',
      'add cali40s:aaa 10.0.0.0/24',
      'add cali40s:aaa 198.18.0.2',
      'add cali40s:aaa 198.18.0.9',
      'add cali40s:aaa 198.18.0.10',
      '',
    ].join('\n'),
  );
  const v6 = compileRuleset(ds, 6);
  t.same(v6.ipSets.map((s) => [s.name, s.family, s.members]), [['cali60s:aaa', 'inet6', ['fd00::/64', 'fd00::1']]]);
  const unused = compileRuleset(state({ endpoints: [endpoint('cali1')], ipSets: { 's:zzz': {} } }), 4);
  t.same(unused.ipSets, [], 'a set no rendered rule uses is not produced');
  t.equal(renderIpsetRestore(unused), '');

  t.equal(ipSetMaxElem(0, 1048576), 1048576);
  t.equal(ipSetMaxElem(524288, 1048576), 1048576);
  t.equal(ipSetMaxElem(524289, 1048576), 2097152, 'more than half full: doubled');
  t.throws(() => ipSetMembers(['198.18.0.1/32 -j ACCEPT'], 4, 'm'), CompileError);
  t.throws(() => ipSetMembers(['fd00::1/128'], 4, 'm'), /not an IPv4/);
  t.throws(() => ipSetMembers(['0.0.0.0/0'], 4, 'm'), /\/0/);
});
