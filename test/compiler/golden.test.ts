// Each fixtures/<scenario>/ compiles to exactly its golden files. Regenerate
// deliberately with UPDATE_GOLDEN=1 (then read the diff before keeping it).
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { fixturesDir } from '../helpers/paths.js';
import { checkRestoreText } from './restore-shape.js';
import { GOLDEN_FILES, renderScenario, scenarioDirs, scenarioState } from './scenarios.js';

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

// The IP set names in the golden files, recomputed here by hand from the
// canonical selectors calc reports: cali40s:/cali60s: + base64url(sha224("s:" +
// canonical selector)), cut to 31 characters.
t.test('golden IP set names are the hashes of their canonical selectors', async (t) => {
  let checked = 0;
  for (const name of scenarios) {
    const state = scenarioState(name);
    const expected = new Map<string, string>();
    for (const [id, members] of state.ipSets) {
      const digest = createHash('sha224').update(`s:${members.selector}`, 'utf8').digest('base64url');
      t.equal(id, `s:${digest}`, `${name}: the id of ${members.selector} is its hash`);
      for (const v of [4, 6]) expected.set(`cali${v}0s:${digest}`.slice(0, 31), members.selector);
    }
    for (const file of ['ipset.txt', 'ipset6.txt']) {
      const path = join(fixturesDir(), name, file);
      if (!existsSync(path)) continue;
      for (const m of readFileSync(path, 'utf8').matchAll(/^create (\S+) /gm)) {
        t.ok(expected.has(m[1]!), `${name}/${file}: ${m[1]} is the set of ${expected.get(m[1]!) ?? '(no selector)'}`);
        t.equal(m[1]!.length, 31);
        checked++;
      }
    }
  }
  t.ok(checked >= 20, `${checked} golden set names checked`);
});
