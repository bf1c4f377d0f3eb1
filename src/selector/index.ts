// Calico's selector language: parseSelector(text) -> Selector (matches, canonical toString,
// uniqueId, labelRestrictions). Parsed selectors are immutable and cached by their text.
import { SelectorParseError } from './errors.js';
import { ParsedSelector } from './parsed-selector.js';
import { parseTree } from './parser.js';
import type { Selector } from './types.js';

export type { LabelRestriction, Selector } from './types.js';
export { SelectorParseError } from './errors.js';
export { isValidLabelKey } from './tokenizer.js';
export { selectorUniqueId } from './parsed-selector.js';

/** Distinct selector texts kept; the least recently used is dropped beyond this. */
const CACHE_LIMIT = 10_000;
const cache = new Map<string, Selector>();

/** Parses `text` (empty or blank text is `all()`); throws SelectorParseError naming the position. */
export function parseSelector(text: string): Selector {
  if (typeof text !== 'string') {
    throw new SelectorParseError(String(text), 0, `selector must be a string, got ${text === null ? 'null' : typeof text}`);
  }
  const hit = cache.get(text);
  if (hit !== undefined) {
    // Re-insert to mark it most recently used.
    cache.delete(text);
    cache.set(text, hit);
    return hit;
  }
  const selector = new ParsedSelector(parseTree(text));
  if (cache.size >= CACHE_LIMIT) cache.delete(cache.keys().next().value!);
  cache.set(text, selector);
  return selector;
}
