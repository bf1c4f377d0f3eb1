// Each fixtures/<scenario>/ compiles to exactly its golden files. Regenerate
// deliberately with UPDATE_GOLDEN=1 (then read the diff before keeping it).
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { fixturesDir } from '../helpers/paths.js';
import { checkRestoreText } from './restore-shape.js';
import { GOLDEN_FILES, renderScenario, scenarioDirs } from './scenarios.js';

const update = process.env.UPDATE_GOLDEN === '1';
const scenarios = scenarioDirs();

t.ok(scenarios.length >= 14, `found ${scenarios.length} scenarios`);

for (const name of scenarios) {
  t.test(name, async (t) => {
    const dir = join(fixturesDir(), name);
    const got = renderScenario(name);
    for (const file of GOLDEN_FILES) {
      const path = join(dir, file);
      const text = got[file];
      if (update) {
        if (text === undefined) rmSync(path, { force: true });
        else writeFileSync(path, text);
        continue;
      }
      if (text === undefined) {
        t.notOk(existsSync(path), `${file}: no IPv6 in this scenario, so no golden file`);
        continue;
      }
      t.ok(existsSync(path), `${file} exists (run with UPDATE_GOLDEN=1 to create it)`);
      if (!existsSync(path)) continue;
      t.equal(text, readFileSync(path, 'utf8'), `${file} matches its golden file`);
      if (file.endsWith('tables.txt')) checkRestoreText(t, text);
    }
  });
}
