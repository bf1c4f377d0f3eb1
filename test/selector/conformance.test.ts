// Every case of ../shared/conformance/selectors.json (Calico's own tests): match, invalid,
// canonical text and unique id.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { sharedDir } from '../helpers/paths.js';
import { parseSelector, SelectorParseError } from '../../src/selector/index.js';

interface Conformance {
  match: Array<{ selector: string; labels: Record<string, string>; expected: boolean }>;
  invalid: string[];
  canonical: Array<{ selector: string; string: string; uid: string; roundtrip_stable?: boolean }>;
}

const cases = JSON.parse(readFileSync(join(sharedDir(), 'conformance', 'selectors.json'), 'utf8')) as Conformance;

t.test('match', async (t) => {
  for (const c of cases.match) {
    t.equal(parseSelector(c.selector).matches(c.labels), c.expected, `${c.selector} on ${JSON.stringify(c.labels)}`);
  }
});

t.test('invalid', async (t) => {
  for (const text of cases.invalid) {
    const name = text.length > 60 ? `${text.slice(0, 60)}...` : text;
    t.throws(() => parseSelector(text), SelectorParseError, name);
  }
});

t.test('canonical', async (t) => {
  for (const c of cases.canonical) {
    const sel = parseSelector(c.selector);
    t.equal(sel.toString(), c.string, `canonical of ${c.selector}`);
    t.equal(sel.uniqueId(), c.uid, `uid of ${c.selector}`);
    // The canonical text parses, and (where Calico's printing is a fixpoint) to itself.
    const again = parseSelector(c.string);
    if (c.roundtrip_stable !== false) t.equal(again.toString(), c.string, `${c.string} is a fixpoint`);
  }
});
