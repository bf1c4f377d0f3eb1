/** Longest selector text quoted in an error message; the full text stays in `text`. */
const MAX_QUOTED = 200;

/**
 * A selector that does not follow Calico's grammar. `position` is the 0-based offset into
 * `text` (in UTF-16 code units, as JavaScript indexes strings) where the problem was found.
 */
export class SelectorParseError extends Error {
  override readonly name = 'SelectorParseError';

  constructor(
    /** The selector text as given. */
    readonly text: string,
    /** 0-based offset into `text` of the offending token or character. */
    readonly position: number,
    /** What is wrong there, without the position or the text. */
    readonly reason: string,
  ) {
    super(`${reason} at position ${position} in selector '${quoted(text)}'`);
  }
}

/** The text for a one-line message: shortened, control characters written as JSON escapes. */
function quoted(text: string): string {
  const short = text.length > MAX_QUOTED ? `${text.slice(0, MAX_QUOTED)}...` : text;
  return short.replace(/[\x00-\x1f\x7f]/g, (c) => JSON.stringify(c).slice(1, -1));
}
