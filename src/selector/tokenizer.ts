// Splits selector text into tokens exactly as Calico's tokenizer does
// (libcalico-go/lib/selector/tokenizer): only space and tab are whitespace; strings are quoted
// with ' or " and have no escapes; after a label only an operator word may follow.
import { SelectorParseError } from './errors.js';

export enum TokenKind {
  Label,
  String,
  LBrace,
  RBrace,
  Comma,
  Eq,
  Ne,
  In,
  Not,
  NotIn,
  Contains,
  StartsWith,
  EndsWith,
  All,
  Has,
  Global,
  LParen,
  RParen,
  And,
  Or,
  EOF,
}

export interface Token {
  readonly kind: TokenKind;
  /** The label name (Label, Has) or the unquoted string (String); '' otherwise. */
  readonly value: string;
  /** 0-based offset in the selector text where the token starts. */
  readonly pos: number;
}

/** The operators a label may be followed by, for messages. */
export const LABEL_OPERATOR_LIST = '==, !=, in, not in, contains, starts with, ends with';

/** Calico's MaxLabelLength. */
export const MAX_LABEL_LENGTH = 512;

/** Label key characters: [a-zA-Z0-9_./-]. */
export function isLabelChar(c: number): boolean {
  return (
    (c >= 0x61 && c <= 0x7a) || // a-z
    (c >= 0x41 && c <= 0x5a) || // A-Z
    (c >= 0x30 && c <= 0x39) || // 0-9
    c === 0x5f || // _
    c === 0x2e || // .
    c === 0x2f || // /
    c === 0x2d // -
  );
}

/** Whether `key` is a label key a selector can name (as Calico's tokenizer.ValidLabel). */
export function isValidLabelKey(key: string): boolean {
  if (key.length === 0 || key.length > MAX_LABEL_LENGTH) return false;
  for (let i = 0; i < key.length; i++) if (!isLabelChar(key.charCodeAt(i))) return false;
  return true;
}

/** Single-character tokens. */
const SIMPLE: ReadonlyMap<string, TokenKind> = new Map([
  ['(', TokenKind.LParen],
  [')', TokenKind.RParen],
  ['{', TokenKind.LBrace],
  ['}', TokenKind.RBrace],
  [',', TokenKind.Comma],
]);

/** Operator words allowed right after a label, tried in Calico's order. */
const LABEL_OPERATORS: ReadonlyArray<{ words: readonly string[]; kind: TokenKind }> = [
  { words: ['contains'], kind: TokenKind.Contains },
  { words: ['starts', 'with'], kind: TokenKind.StartsWith },
  { words: ['ends', 'with'], kind: TokenKind.EndsWith },
  { words: ['not', 'in'], kind: TokenKind.NotIn },
  { words: ['in'], kind: TokenKind.In },
];

/** Character description for messages. */
function describeChar(text: string, pos: number): string {
  const cp = text.codePointAt(pos)!;
  return cp < 0x20 || cp === 0x7f ? `character U+${cp.toString(16).padStart(4, '0')}` : `character '${String.fromCodePoint(cp)}'`;
}

/** A word (run of label characters) or a single character at pos, for messages. */
function describeAt(text: string, pos: number): string {
  let end = pos;
  while (end < text.length && isLabelChar(text.charCodeAt(end))) end++;
  return end > pos ? `'${text.slice(pos, Math.min(end, pos + 40))}'` : describeChar(text, pos);
}

export function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  const fail = (pos: number, reason: string): never => {
    throw new SelectorParseError(text, pos, reason);
  };
  const skipSpace = (p: number): number => {
    while (p < text.length) {
      const c = text.charCodeAt(p);
      if (c !== 0x20 && c !== 0x09) break;
      p++;
    }
    return p;
  };
  /** End of the label starting at p (p itself when there is none). */
  const labelEnd = (p: number): number => {
    while (p < text.length && isLabelChar(text.charCodeAt(p))) p++;
    return p;
  };
  /** Reads a label at p or fails as Calico's cutIdentifier does. */
  const readLabel = (p: number): number => {
    const end = labelEnd(p);
    if (end === p) {
      fail(p, p < text.length ? `expected a label name, found ${describeChar(text, p)}` : 'expected a label name, found end of selector');
    }
    if (end - p > MAX_LABEL_LENGTH) fail(p, `label name longer than ${MAX_LABEL_LENGTH} characters`);
    return end;
  };
  /** Matches the words (whitespace allowed between and after) ending at a word boundary; returns the end or -1. */
  const matchWords = (p: number, words: readonly string[]): number => {
    let q = p;
    for (const w of words) {
      if (!text.startsWith(w, q)) return -1;
      q = skipSpace(q + w.length);
    }
    // Calico only checks the boundary after the last word ("notin" is accepted).
    return q < text.length && isLabelChar(text.charCodeAt(q)) ? -1 : q;
  };
  /** For has(, all(, global(: skips whitespace then requires ')'. */
  const closeParen = (p: number, what: string): number => {
    const q = skipSpace(p);
    if (text.charCodeAt(q) !== 0x29) fail(q, `expected ')' to close ${what}(`);
    return q + 1;
  };

  let pos = 0;
  for (;;) {
    pos = skipSpace(pos);
    if (pos >= text.length) {
      tokens.push({ kind: TokenKind.EOF, value: '', pos: text.length });
      return tokens;
    }
    const start = pos;
    const ch = text[pos]!;
    const simple = SIMPLE.get(ch);
    if (simple !== undefined) {
      tokens.push({ kind: simple, value: '', pos: start });
      pos++;
      continue;
    }
    switch (ch) {
      case '"':
      case "'": {
        const close = text.indexOf(ch, pos + 1);
        if (close < 0) fail(start, `unterminated string (no closing ${ch})`);
        tokens.push({ kind: TokenKind.String, value: text.slice(pos + 1, close), pos: start });
        pos = close + 1;
        continue;
      }
      case '=':
        if (text[pos + 1] !== '=') fail(start, "expected '=='");
        tokens.push({ kind: TokenKind.Eq, value: '', pos: start });
        pos += 2;
        continue;
      case '!':
        if (text[pos + 1] === '=') {
          tokens.push({ kind: TokenKind.Ne, value: '', pos: start });
          pos += 2;
        } else {
          tokens.push({ kind: TokenKind.Not, value: '', pos: start });
          pos += 1;
        }
        continue;
      case '&':
        if (text[pos + 1] !== '&') fail(start, "expected '&&'");
        tokens.push({ kind: TokenKind.And, value: '', pos: start });
        pos += 2;
        continue;
      case '|':
        if (text[pos + 1] !== '|') fail(start, "expected '||'");
        tokens.push({ kind: TokenKind.Or, value: '', pos: start });
        pos += 2;
        continue;
    }
    const last = tokens.length > 0 ? tokens[tokens.length - 1]! : undefined;
    if (last?.kind === TokenKind.Label) {
      // After a label only an operator word may follow.
      let matched = false;
      for (const op of LABEL_OPERATORS) {
        const end = matchWords(pos, op.words);
        if (end >= 0) {
          tokens.push({ kind: op.kind, value: '', pos: start });
          pos = end;
          matched = true;
          break;
        }
      }
      if (!matched) fail(start, `expected an operator (${LABEL_OPERATOR_LIST}) after label '${last.value}', found ${describeAt(text, start)}`);
      continue;
    }
    if (text.startsWith('has(', pos)) {
      const nameStart = skipSpace(pos + 4);
      const nameEnd = readLabel(nameStart);
      pos = closeParen(nameEnd, 'has');
      tokens.push({ kind: TokenKind.Has, value: text.slice(nameStart, nameEnd), pos: start });
    } else if (text.startsWith('all(', pos)) {
      pos = closeParen(pos + 4, 'all');
      tokens.push({ kind: TokenKind.All, value: '', pos: start });
    } else if (text.startsWith('global(', pos)) {
      pos = closeParen(pos + 7, 'global');
      tokens.push({ kind: TokenKind.Global, value: '', pos: start });
    } else {
      const end = readLabel(pos);
      tokens.push({ kind: TokenKind.Label, value: text.slice(pos, end), pos: start });
      pos = end;
    }
  }
}
