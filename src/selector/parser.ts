// Recursive-descent parser over the tokens, following Calico's parser
// (libcalico-go/lib/selector/parser/parser.go): || binds loosest, then &&, then a single
// operation with any number of leading "!" (collapsed to one NotNode or none).
import {
  AllNode,
  AndNode,
  ContainsNode,
  EndsWithNode,
  EqNode,
  GlobalNode,
  HasNode,
  InNode,
  NeNode,
  NotInNode,
  NotNode,
  OrNode,
  StartsWithNode,
  type SelectorNode,
} from './ast.js';
import { SelectorParseError } from './errors.js';
import { sortedUnique } from './string-set.js';
import { LABEL_OPERATOR_LIST, TokenKind, tokenize, type Token } from './tokenizer.js';

const TOKEN_TEXT: Readonly<Partial<Record<TokenKind, string>>> = {
  [TokenKind.LBrace]: "'{'",
  [TokenKind.RBrace]: "'}'",
  [TokenKind.Comma]: "','",
  [TokenKind.Eq]: "'=='",
  [TokenKind.Ne]: "'!='",
  [TokenKind.In]: "'in'",
  [TokenKind.Not]: "'!'",
  [TokenKind.NotIn]: "'not in'",
  [TokenKind.Contains]: "'contains'",
  [TokenKind.StartsWith]: "'starts with'",
  [TokenKind.EndsWith]: "'ends with'",
  [TokenKind.All]: "'all()'",
  [TokenKind.Global]: "'global()'",
  [TokenKind.LParen]: "'('",
  [TokenKind.RParen]: "')'",
  [TokenKind.And]: "'&&'",
  [TokenKind.Or]: "'||'",
  [TokenKind.EOF]: 'end of selector',
};

function describe(tok: Token): string {
  switch (tok.kind) {
    case TokenKind.Label:
      return `label '${tok.value}'`;
    case TokenKind.String:
      return `string ${tok.value.includes('"') ? `'${tok.value}'` : `"${tok.value}"`}`;
    case TokenKind.Has:
      return `'has(${tok.value})'`;
    default:
      return TOKEN_TEXT[tok.kind] ?? 'token';
  }
}

const VALUE_NODES: Readonly<Partial<Record<TokenKind, new (key: string, value: string) => SelectorNode>>> = {
  [TokenKind.Eq]: EqNode,
  [TokenKind.Ne]: NeNode,
  [TokenKind.Contains]: ContainsNode,
  [TokenKind.StartsWith]: StartsWithNode,
  [TokenKind.EndsWith]: EndsWithNode,
};

/**
 * Deepest parenthesis nesting accepted. Calico has no limit (Go stacks grow); ours keeps the
 * recursive parser and evaluator far from the JavaScript stack limit.
 */
export const MAX_NESTING = 1000;

class Parser {
  private i = 0;
  private depth = 0;
  constructor(
    private readonly text: string,
    private readonly tokens: readonly Token[],
  ) {}

  /** The whole selector; empty (or blank) text is all(). */
  parseRoot(): SelectorNode {
    if (this.peek().kind === TokenKind.EOF) return new AllNode();
    const node = this.parseOr();
    const rest = this.peek();
    if (rest.kind !== TokenKind.EOF) this.fail(rest, `unexpected ${describe(rest)} after the end of the expression`);
    return node;
  }

  private peek(): Token {
    return this.tokens[this.i]!;
  }

  private next(): Token {
    const tok = this.tokens[this.i]!;
    // The EOF token is never consumed, so peeking past the end is impossible.
    if (tok.kind !== TokenKind.EOF) this.i++;
    return tok;
  }

  private fail(at: Token, reason: string): never {
    throw new SelectorParseError(this.text, at.pos, reason);
  }

  private parseOr(): SelectorNode {
    const operands = [this.parseAnd()];
    while (this.peek().kind === TokenKind.Or) {
      this.next();
      operands.push(this.parseAnd());
    }
    return operands.length === 1 ? operands[0]! : new OrNode(operands);
  }

  private parseAnd(): SelectorNode {
    const operands = [this.parseOperation()];
    while (this.peek().kind === TokenKind.And) {
      this.next();
      operands.push(this.parseOperation());
    }
    return operands.length === 1 ? operands[0]! : new AndNode(operands);
  }

  private parseOperation(): SelectorNode {
    let negated = false;
    while (this.peek().kind === TokenKind.Not) {
      this.next();
      negated = !negated;
    }
    const node = this.parseUnnegated();
    return negated ? new NotNode(node) : node;
  }

  private parseUnnegated(): SelectorNode {
    const tok = this.next();
    switch (tok.kind) {
      case TokenKind.Has:
        return new HasNode(tok.value);
      case TokenKind.All:
        return new AllNode();
      case TokenKind.Global:
        return new GlobalNode();
      case TokenKind.Label:
        return this.parseLabelOperation(tok.value);
      case TokenKind.LParen: {
        if (++this.depth > MAX_NESTING) this.fail(tok, `parentheses nested more than ${MAX_NESTING} deep`);
        const inner = this.parseOr();
        this.depth--;
        const close = this.next();
        if (close.kind !== TokenKind.RParen) this.fail(close, `expected ')', found ${describe(close)}`);
        return inner;
      }
      default:
        return this.fail(tok, `expected a label, has(), all(), global(), '!' or '(', found ${describe(tok)}`);
    }
  }

  private parseLabelOperation(key: string): SelectorNode {
    const op = this.next();
    const ValueNode = VALUE_NODES[op.kind];
    if (ValueNode) {
      const value = this.next();
      if (value.kind !== TokenKind.String) this.fail(value, `expected a quoted string after ${describe(op)}, found ${describe(value)}`);
      return new ValueNode(key, value.value);
    }
    if (op.kind === TokenKind.In || op.kind === TokenKind.NotIn) {
      const open = this.next();
      if (open.kind !== TokenKind.LBrace) this.fail(open, `expected '{' after ${describe(op)}, found ${describe(open)}`);
      const values: string[] = [];
      // Strings separated by commas; one trailing comma is allowed, as in Calico.
      while (this.peek().kind === TokenKind.String) {
        values.push(this.next().value);
        if (this.peek().kind !== TokenKind.Comma) break;
        this.next();
      }
      const close = this.next();
      if (close.kind !== TokenKind.RBrace) this.fail(close, `expected ',' or '}' in the set of ${describe(op)}, found ${describe(close)}`);
      const set = sortedUnique(values);
      return op.kind === TokenKind.In ? new InNode(key, set) : new NotInNode(key, set);
    }
    return this.fail(op, `expected an operator (${LABEL_OPERATOR_LIST}) after label '${key}', found ${describe(op)}`);
  }
}

/** Parses selector text to its node tree; throws SelectorParseError. */
export function parseTree(text: string): SelectorNode {
  return new Parser(text, tokenize(text)).parseRoot();
}
