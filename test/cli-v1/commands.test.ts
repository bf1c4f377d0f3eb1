// calicoctl v1 commands beyond the transcripts: `get -o yaml|json` output is
// valid input again (round trip through apply, replace and delete), the ways
// of naming the file, help, datastore sessions, and Go's number format.
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import t, { type Test } from 'tap';
import yaml from 'js-yaml';
import { formatGoFloat } from '../../src/cli/v1/columns.js';
import { embeddedCalicoctl, inProcessCalicoctl, memoryCalicoctl, tempDataDir, type CliRunner } from '../helpers/cli.js';
import { fixturesDir } from '../helpers/paths.js';

const SEED_FILES = ['002-a-profiles', '002-b-policies', '004-k8s', '004-workloads', '004-allow-dns', '004-deny-egress'];
const KINDS = ['profile', 'policy', 'workloadEndpoint'] as const;

async function loadSeeds(t: Test, calicoctl: CliRunner): Promise<void> {
  for (const f of SEED_FILES) {
    const r = await calicoctl.run(['apply', '-f', '-'], await readFile(join(fixturesDir(), 'seeds', `${f}.yaml`), 'utf8'));
    t.equal(r.status, 0, `apply ${f}: ${r.stdout.trim()}`);
  }
}

for (const [backend, make] of [
  ['memory', async () => memoryCalicoctl()],
  ['embedded', (t: Test) => embeddedCalicoctl(t)],
] as const) {
  t.test(`get -o yaml | apply, -o json | replace, -o yaml | delete (${backend})`, async (t) => {
    const calicoctl = await make(t);
    await loadSeeds(t, calicoctl);
    for (const kind of KINDS) {
      const yamlOut = await calicoctl.run(['get', kind, '-o', 'yaml']);
      t.equal(yamlOut.status, 0);
      const count = (yamlOut.stdout.match(/^- apiVersion: v1$/gm) ?? []).length;
      t.ok(count > 0, `${count} ${kind} resources`);

      const applied = await calicoctl.run(['apply', '-f', '-'], yamlOut.stdout);
      t.equal(applied.stdout, `Successfully applied ${count} '${kind}' resource(s)\n`);
      t.equal((await calicoctl.run(['get', kind, '-o', 'yaml'])).stdout, yamlOut.stdout, `${kind}: yaml round trip changes nothing`);

      const jsonOut = await calicoctl.run(['get', kind, '-o', 'json']);
      t.same(JSON.parse(jsonOut.stdout), yaml.load(yamlOut.stdout), 'json and yaml hold the same resources');
      const replaced = await calicoctl.run(['replace', '-f', '-'], jsonOut.stdout);
      t.equal(replaced.stdout, `Successfully replaced ${count} '${kind}' resource(s)\n`);
      t.equal((await calicoctl.run(['get', kind, '-o', 'json'])).stdout, jsonOut.stdout, `${kind}: json round trip changes nothing`);

      const deleted = await calicoctl.run(['delete', '-f', '-'], yamlOut.stdout);
      t.equal(deleted.stdout, `Successfully deleted ${count} '${kind}' resource(s)\n`);
      t.equal((await calicoctl.run(['get', kind, '-o', 'yaml'])).stdout, '[]\n', 'an empty listing is an empty YAML list');
      t.equal((await calicoctl.run(['get', kind, '-o', 'json'])).stdout, '[]\n');
    }
  });
}

t.test('the file can be named every way docopt accepts', async (t) => {
  const dir = await tempDataDir(t, 'tabby-v1-files-');
  const file = join(dir, 'policy.yaml');
  await writeFile(file, 'apiVersion: v1\nkind: policy\nmetadata:\n  name: p\nspec:\n  order: 1000000\n  selector: all()\n');
  const calicoctl = memoryCalicoctl();
  const ok = (verb: string): string => `Successfully ${verb} 1 'policy' resource(s)\n`;
  t.same(await calicoctl.run(['create', '-f', file]), { status: 0, stdout: ok('created'), stderr: '' });
  t.same(await calicoctl.run(['apply', `--filename=${file}`]), { status: 0, stdout: ok('applied'), stderr: '' });
  t.same(await calicoctl.run(['replace', '--filename', file]), { status: 0, stdout: ok('replaced'), stderr: '' });
  t.same(await calicoctl.run(['apply', `-f${file}`]), { status: 0, stdout: ok('applied'), stderr: '' });
  t.equal((await calicoctl.run(['get', '-o', 'wide', 'pol'])).stdout, 'NAME   ORDER   SELECTOR\np      1e+06   all()\n', 'options before the kind; Go prints 1e+06');
  const both = await calicoctl.run(['delete', 'policy', 'p', '--filename', file]);
  t.equal(both.status, 1);
  t.equal(both.stdout, '');
  t.match(both.stderr, /^Invalid option: give either --filename or KIND NAME, not both\n\n/);
  t.same(await calicoctl.run(['delete', '-f', file]), { status: 0, stdout: ok('deleted'), stderr: '' });
  t.equal(calicoctl.sessions.opened, calicoctl.sessions.closed, 'every command closed the store it opened');
});

t.test('help goes to stdout with exit status 0; no datastore is opened', async (t) => {
  const calicoctl = memoryCalicoctl();
  for (const argv of [['--help'], ['get', '--help'], ['create', '-h'], ['delete', '--help'], ['apply', '--help'], ['replace', '--help']]) {
    const r = await calicoctl.run(argv);
    t.equal(r.status, 0, argv.join(' '));
    t.match(r.stdout, /Usage:\n  calicoctl /);
    t.equal(r.stderr, '');
  }
  const none = await calicoctl.run([]);
  t.equal(none.status, 1);
  t.match(none.stderr, /^Usage:/);
  t.equal(calicoctl.sessions.opened, 0);
});

t.test('a datastore that cannot be opened is reported, exit status 1', async (t) => {
  const calicoctl = inProcessCalicoctl({}, async () => {
    throw new Error('connect ECONNREFUSED 127.0.0.1:2379');
  });
  t.same(await calicoctl.run(['get', 'profile']), {
    status: 1,
    stdout: '',
    stderr: 'Failed to connect to the datastore: connect ECONNREFUSED 127.0.0.1:2379\n',
  });
});

t.test('orders print as Go prints a float64', async (t) => {
  const cases: [number, string][] = [
    [0, '0'], [400, '400'], [1000, '1000'], [0.5, '0.5'], [-3, '-3'], [123456, '123456'],
    [1000000, '1e+06'], [1234567, '1.234567e+06'], [0.0001, '0.0001'], [0.00001, '1e-05'], [1e21, '1e+21'], [1e100, '1e+100'],
  ];
  for (const [n, text] of cases) t.equal(formatGoFloat(n), text, String(n));
});
