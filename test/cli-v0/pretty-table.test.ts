// The v0 tables reproduce prettytable's layout exactly: the example below is
// calicoctl v0's own documented `profile show --detailed` output.
import t from 'tap';
import { formatPrettyTable } from '../../src/cli/v0/pretty-table.js';

t.test('profile show: one centred column, rows sorted', async (t) => {
  t.equal(
    formatPrettyTable(['Name'], [['PROF_D'], ['PROF_A_C_E'], ['PROF_B']]),
    [
      '+------------+',
      '|    Name    |',
      '+------------+',
      '| PROF_A_C_E |',
      '|   PROF_B   |',
      '|   PROF_D   |',
      '+------------+',
      '',
    ].join('\n'),
  );
});

t.test('profile show --detailed: the documented calicoctl v0 table', async (t) => {
  const rows = [
    ['PROF_D', 'calico-host-02', 'docker', '6f103f1439c3d69ed014d4aa7f5b92dac7b892cbec627ac3b181ae4263e307de', 'faecf8be777f11e5abe9080027b2d0eb', 'active'],
    ['PROF_A_C_E', 'calico-host-02', 'docker', 'ecbb19f9913236da5e03187fbfadf65a5761c49051adf54758d7f447852336fa', 'f6e1dd20777f11e5abe9080027b2d0eb', 'active'],
    ['PROF_B', 'calico-host-01', 'docker', 'fb028123092ed9a91f279f1aa11517cbd5b023ec4daf382cce8471b3fe41e9af', 'f2497552777f11e5abe9080027b2d0eb', 'active'],
    ['PROF_A_C_E', 'calico-host-01', 'docker', '15a483ab65cc60e2831859dd0eb3b3acde86cc464aea8f6bbbd35cb5395ed007', 'ee033eba777f11e5abe9080027b2d0eb', 'active'],
    ['PROF_A_C_E', 'calico-host-01', 'docker', 'a549f09ed2c9ae2a840edc834dea0d14e686a4bf6195c791db283aed7f8b5e48', '011af79a778011e5abe9080027b2d0eb', 'active'],
  ];
  const rule =
    '+------------+----------------+-----------------+------------------------------------------------------------------+----------------------------------+--------+';
  t.equal(
    formatPrettyTable(['Name', 'Host', 'Orchestrator ID', 'Workload ID', 'Endpoint ID', 'State'], rows),
    [
      rule,
      '|    Name    |      Host      | Orchestrator ID |                           Workload ID                            |           Endpoint ID            | State  |',
      rule,
      '| PROF_A_C_E | calico-host-01 |      docker     | 15a483ab65cc60e2831859dd0eb3b3acde86cc464aea8f6bbbd35cb5395ed007 | ee033eba777f11e5abe9080027b2d0eb | active |',
      '| PROF_A_C_E | calico-host-01 |      docker     | a549f09ed2c9ae2a840edc834dea0d14e686a4bf6195c791db283aed7f8b5e48 | 011af79a778011e5abe9080027b2d0eb | active |',
      '| PROF_A_C_E | calico-host-02 |      docker     | ecbb19f9913236da5e03187fbfadf65a5761c49051adf54758d7f447852336fa | f6e1dd20777f11e5abe9080027b2d0eb | active |',
      '|   PROF_B   | calico-host-01 |      docker     | fb028123092ed9a91f279f1aa11517cbd5b023ec4daf382cce8471b3fe41e9af | f2497552777f11e5abe9080027b2d0eb | active |',
      '|   PROF_D   | calico-host-02 |      docker     | 6f103f1439c3d69ed014d4aa7f5b92dac7b892cbec627ac3b181ae4263e307de | faecf8be777f11e5abe9080027b2d0eb | active |',
      rule,
      '',
    ].join('\n'),
  );
});

t.test('an empty table still prints its frame and headings', async (t) => {
  t.equal(formatPrettyTable(['Name'], []), '+------+\n| Name |\n+------+\n+------+\n');
});

t.test('odd leftover space goes right of odd-length text, left of even-length text', async (t) => {
  t.equal(formatPrettyTable(['abcd'], [['abc'], ['ab']]), '+------+\n| abcd |\n+------+\n|  ab  |\n| abc  |\n+------+\n');
});
