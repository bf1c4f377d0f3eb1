// Rejected selectors: SelectorParseError carries the text, the 0-based position of the problem
// and a reason, and the message names both the position and the text.
import t from 'tap';
import { parseSelector, SelectorParseError } from '../../src/selector/index.js';

function parseError(text: string): SelectorParseError {
  try {
    parseSelector(text);
  } catch (e) {
    if (e instanceof SelectorParseError) return e;
    throw e;
  }
  throw new Error(`expected ${JSON.stringify(text)} to be rejected`);
}

const cases: Array<[text: string, position: number, reason: RegExp]> = [
  ['b == b', 5, /expected a quoted string after '==', found label 'b'/],
  ['"FOO', 0, /unterminated string/],
  [`a == "x" && b == 'FOO`, 17, /unterminated string/],
  ['a == "b" && %', 12, /found character '%'/],
  ['a == "b" | has(foo)', 9, /expected '\|\|'/],
  ['a = "b"', 2, /expected '=='/],
  ['a == "b" & c == "d"', 9, /expected '&&'/],
  ['a', 1, /expected an operator .* after label 'a', found end of selector/],
  ['this is not valid selector syntax', 5, /after label 'this', found 'is'/],
  ['global ()', 7, /after label 'global', found '\('/],
  ['(a == "x"', 9, /expected '\)', found end of selector/],
  ['()', 1, /found '\)'/],
  ['a in {"x"}}', 10, /unexpected '}'/],
  ['has(a b)', 6, /expected '\)' to close has\(/],
  ['has()', 4, /expected a label name/],
  ["a in {'x' 'y'}", 10, /expected ',' or '}'/],
  ['a in ("x")', 5, /expected '\{' after 'in'/],
  ['a starts with', 13, /expected a quoted string after 'starts with'/],
  ['!', 1, /found end of selector/],
  ['a == "b"\n', 8, /character U\+000a/],
  [`has(${'k'.repeat(513)})`, 4, /longer than 512/],
];

t.test('position and reason', async (t) => {
  for (const [text, position, reason] of cases) {
    const err = parseError(text);
    t.equal(err.position, position, `position for ${JSON.stringify(text)}`);
    t.match(err.reason, reason, `reason for ${JSON.stringify(text)}`);
    t.equal(err.text, text, 'the text is kept whole');
    t.equal(err.name, 'SelectorParseError');
    t.ok(err instanceof Error);
    t.match(err.message, `at position ${position}`, 'message names the position');
  }
});

t.test('message quotes the text on one line', async (t) => {
  const err = parseError('a == "b" && %');
  t.equal(err.message, `expected a label name, found character '%' at position 12 in selector 'a == "b" && %'`);
  const nl = parseError('has(a)\nhas(b)');
  t.notMatch(nl.message, /\n/, 'control characters are escaped');
  t.match(nl.message, 'has(a)\\nhas(b)');
  const long = parseError(`${'a == "b" && '.repeat(100)}%`);
  t.ok(long.message.length < 400, 'a long text is shortened in the message');
  t.equal(long.text.length, 1201, 'but kept whole in the field');
});

t.test('a non-string is rejected clearly', async (t) => {
  t.throws(() => parseSelector(undefined as unknown as string), { name: 'SelectorParseError', message: /must be a string, got undefined/ });
});

t.test('nesting is bounded, not a stack overflow', async (t) => {
  const deep = (n: number): string => `${'!('.repeat(n)}has(a)${')'.repeat(n)}`;
  t.equal(parseSelector(deep(1000)).matches({ a: '' }), true, '1000 levels parse and evaluate');
  const err = parseError(deep(1001));
  t.match(err.reason, /nested more than 1000 deep/);
});
