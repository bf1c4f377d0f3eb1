// Round trip through the store: for every rule of the table, parse it, add it
// with `rule add`, print it with `rule show`, parse the printed text again: the
// same rule. Then `rule json` piped into `rule update` leaves the profile as it was.
import t from 'tap';
import { parseRule } from '../../src/model/rule-grammar.js';
import type { Profile, Rule } from '../../src/model/types.js';
import { embeddedCalicoctl, type CliRunner } from '../helpers/cli.js';
import { RULE_CASES } from './rule-table.js';

const words = (text: string): string[] => text.split(' ');

async function storedProfile(calicoctl: CliRunner, name: string): Promise<Profile> {
  const got = await calicoctl.run(['get', 'profile', name, '-o', 'json']);
  if (got.status !== 0) throw new Error(`get profile ${name} failed: ${got.stdout}${got.stderr}`);
  const list = JSON.parse(got.stdout) as Profile[];
  if (list.length !== 1) throw new Error(`get profile ${name} gave ${list.length} profiles`);
  return list[0]!;
}

/** A subtest's `t` (the callback parameter of t.test). */
type Asserts = Parameters<Parameters<typeof t.test>[0]>[0];

/** The rules of a `rule show` section, checking the ` %3d ` numbering. */
function listedRules(t: Asserts, show: string, title: string, next: string | undefined): string[] {
  const lines = show.split('\n');
  const start = lines.indexOf(title);
  const end = next === undefined ? lines.length - 1 : lines.indexOf(next);
  t.ok(start >= 0 && end > start, `rule show has "${title}"`);
  return lines.slice(start + 1, end).map((line, i) => {
    const prefix = ` ${String(i + 1).padStart(3)} `;
    t.equal(line.slice(0, prefix.length), prefix, `rule ${i + 1} is numbered "${prefix}"`);
    return line.slice(prefix.length);
  });
}

t.test(`${RULE_CASES.length} rules survive parse, store, rule show and parse again`, async (t) => {
  const calicoctl = await embeddedCalicoctl(t);
  t.equal((await calicoctl.sh('profile add RT')).status, 0);
  // Start from empty lists so the table's rules are numbered from 1.
  t.equal((await calicoctl.sh('profile RT rule remove inbound --at=1')).status, 0);
  t.equal((await calicoctl.sh('profile RT rule remove outbound --at=1')).status, 0);

  const outbound = RULE_CASES.filter((_, i) => i % 3 === 0);
  for (const c of RULE_CASES) {
    const added = await calicoctl.run(['profile', 'RT', 'rule', 'add', 'inbound', ...words(c.text)]);
    t.same(added, { status: 0, stdout: '', stderr: '' }, `rule add inbound ${c.text}`);
  }
  for (const c of outbound) {
    const added = await calicoctl.run(['profile', 'RT', 'rule', 'add', 'outbound', ...words(c.text)]);
    t.same(added, { status: 0, stdout: '', stderr: '' }, `rule add outbound ${c.text}`);
  }

  const show = await calicoctl.sh('profile RT rule show');
  t.equal(show.status, 0);
  const shownIn = listedRules(t, show.stdout, 'Inbound rules:', 'Outbound rules:');
  const shownOut = listedRules(t, show.stdout, 'Outbound rules:', undefined);
  t.equal(shownIn.length, RULE_CASES.length, 'every inbound rule is listed');
  t.equal(shownOut.length, outbound.length, 'every outbound rule is listed');

  const stored = await storedProfile(calicoctl, 'RT');
  const check = (cases: typeof RULE_CASES, shown: string[], storedRules: Rule[] | undefined, dir: string): void => {
    cases.forEach((c, i) => {
      const parsed = parseRule(words(c.text));
      t.same(storedRules?.[i], parsed, `${dir} ${i + 1}: the store holds the parsed rule (${c.text})`);
      t.equal(shown[i], c.shown ?? c.text, `${dir} ${i + 1}: rule show prints it`);
      if (shown[i] !== undefined) t.same(parseRule(words(shown[i]!)), parsed, `${dir} ${i + 1}: the printed rule parses back to it`);
    });
  };
  check(RULE_CASES, shownIn, stored.spec.ingress, 'inbound');
  check(outbound, shownOut, stored.spec.egress, 'outbound');

  // rule json, then rule update with it: nothing changes.
  const json = await calicoctl.sh('profile RT rule json');
  t.equal(json.status, 0);
  t.ok(json.stdout.endsWith('}\n') && !json.stdout.endsWith('\n\n'), 'rule json ends with the JSON and one newline');
  const doc = JSON.parse(json.stdout) as { id: string; inbound_rules: unknown[]; outbound_rules: unknown[] };
  t.equal(doc.id, 'RT');
  t.equal(doc.inbound_rules.length, RULE_CASES.length);
  const updated = await calicoctl.sh('profile RT rule update', json.stdout);
  t.same(updated, { status: 0, stdout: 'Successfully updated rules on profile RT\n', stderr: '' });
  t.same(await storedProfile(calicoctl, 'RT'), stored, 'the profile is unchanged after rule json | rule update');
  t.equal((await calicoctl.sh('profile RT rule json')).stdout, json.stdout, 'rule json prints the same');
  t.equal((await calicoctl.sh('profile RT rule show')).stdout, show.stdout, 'rule show prints the same');
});

t.test('rule json uses the storage keys and leaves out what is unset', async (t) => {
  const calicoctl = await embeddedCalicoctl(t);
  await calicoctl.sh('profile add WEB');
  await calicoctl.sh('profile WEB rule add inbound deny tcp from ports 1000-2000 cidr 10.0.0.0/8 to ports 80,443 tag DB');
  await calicoctl.sh('profile WEB rule add outbound allow icmp type 8 code 0');
  const json = await calicoctl.sh('profile WEB rule json');
  t.same(JSON.parse(json.stdout), {
    id: 'WEB',
    inbound_rules: [
      { action: 'allow', src_tag: 'WEB' },
      { action: 'deny', protocol: 'tcp', src_net: '10.0.0.0/8', src_ports: ['1000:2000'], dst_tag: 'DB', dst_ports: [80, 443] },
    ],
    outbound_rules: [{ action: 'allow' }, { action: 'allow', protocol: 'icmp', icmp_type: 8, icmp_code: 0 }],
  });
  t.match(json.stdout, /^\{\n {2}"id": "WEB",\n {2}"inbound_rules": \[\n {4}\{\n {6}"action": "allow",/, 'indented by two spaces, id first');
});
