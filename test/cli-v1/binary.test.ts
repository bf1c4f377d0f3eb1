// The installed command: bin/calicoctl.js (built dist/) in a child process,
// reading a file from standard input, on the embedded store chosen by
// TABBY_DATA_DIR, with calicoctl's exit statuses. Needs `npm run build`
// (npm test builds first); skipped when dist/ lacks the resource layer.
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import t from 'tap';
import { embeddedEnv, spawnCalicoctl, tempDataDir } from '../helpers/cli.js';
import { fixturesDir, repoRoot } from '../helpers/paths.js';

const built = existsSync(join(repoRoot(), 'dist', 'src', 'datastore', 'kv-resource-store.js'));

t.test('bin/calicoctl.js on the embedded store', { skip: built ? false : 'dist/ is not built (run npm run build)' }, async (t) => {
  const calicoctl = spawnCalicoctl(embeddedEnv(await tempDataDir(t)));
  const seed = (f: string): Promise<string> => readFile(join(fixturesDir(), 'seeds', `${f}.yaml`), 'utf8');

  t.same(await calicoctl.sh('calicoctl apply -f -', await seed('004-deny-egress')), {
    status: 0, stdout: "Successfully applied 1 'policy' resource(s)\n", stderr: '',
  });
  t.same(await calicoctl.sh('calicoctl create -f -', await seed('004-allow-dns')), {
    status: 0, stdout: "Successfully created 1 'policy' resource(s)\n", stderr: '',
  });
  t.same(await calicoctl.sh('calicoctl get policy -o wide'), {
    status: 0,
    stdout:
      'NAME                               ORDER   SELECTOR\n' +
      "advanced-policy-demo.allow-dns     400     calico/k8s_ns == 'advanced-policy-demo'\n" +
      "advanced-policy-demo.deny-egress   500     calico/k8s_ns == 'advanced-policy-demo'\n",
    stderr: '',
  });
  t.same(await calicoctl.sh('calicoctl create -f -', await seed('004-allow-dns')), {
    status: 1,
    stdout: "Failed to create 'policy' resource: resource already exists: Policy(name=advanced-policy-demo.allow-dns)\n",
    stderr: '',
  });
  t.same(await calicoctl.sh('calicoctl delete policy advanced-policy-demo.deny-egress'), {
    status: 0, stdout: "Successfully deleted 1 'policy' resource(s)\n", stderr: '',
  });
  t.same(await calicoctl.sh('calicoctl delete policy advanced-policy-demo.deny-egress'), {
    status: 1,
    stdout: "Failed to delete 'policy' resource: resource does not exist: Policy(name=advanced-policy-demo.deny-egress)\n",
    stderr: '',
  });
});
