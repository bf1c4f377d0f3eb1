// Rules and chains as data, and the one place they become text: every rule
// gets `-m comment --comment "cali:<hash>"`, where the hash chains the chain
// name and every rule up to this one (Felix's RuleHashes): sha224 of the
// previous hash (initially of the chain name) and the rule's text, base64url,
// cut to 16. A rule's hash thus depends on its chain, position and text.
import * as crypto from 'node:crypto';
import type { RenderedChain, RenderedRule } from '../ruleset.js';
import { CompileError } from '../errors.js';
import type { Action } from './actions.js';
import { checkChainName } from './actions.js';
import { MatchCriteria } from './match.js';

export interface Rule {
  match: MatchCriteria;
  action: Action;
  /** A fixed human-readable note from Tabby's own code (never user data). */
  comment?: string;
}

export interface Chain {
  name: string;
  rules: Rule[];
}

export const HASH_LENGTH = 16;

const COMMENT_RE = /^[a-zA-Z0-9 .,_:()/-]{1,200}$/;

export function rule(match: MatchCriteria, action: Action, comment?: string): Rule {
  return comment === undefined ? { match, action } : { match, action, comment };
}

/** The rule's text without the hash comment. */
export function ruleBody(r: Rule): string {
  const parts: string[] = [];
  if (r.comment !== undefined) {
    if (!COMMENT_RE.test(r.comment)) throw new CompileError('comment', r.comment, 'is not a safe rule comment');
    parts.push(`-m comment --comment "${r.comment}"`);
  }
  const m = r.match.render();
  if (m !== '') parts.push(m);
  parts.push(r.action.render());
  return parts.join(' ');
}

export const hashComment = (hash: string): string => `-m comment --comment "cali:${hash}"`;

/** Renders a chain: each rule's spec (hash comment first) and hash. */
export function renderChain(chain: Chain): RenderedChain {
  const name = checkChainName(chain.name);
  let prev = sha224(Buffer.from(name, 'utf8'));
  const rules: RenderedRule[] = chain.rules.map((r) => {
    const body = ruleBody(r);
    const text = `-A ${name} ${body}`;
    // The previous digest then the rule's text, in one buffer: no concat per rule.
    const input = hashInput(SHA224_BYTES + Buffer.byteLength(text, 'utf8'));
    prev.copy(input, 0);
    input.write(text, SHA224_BYTES, 'utf8');
    prev = sha224(input);
    const hash = prev.toString('base64url').slice(0, HASH_LENGTH);
    return { hash, spec: `${hashComment(hash)} ${body}` };
  });
  return { name, rules };
}

const SHA224_BYTES = 28;
let scratch = Buffer.allocUnsafe(4096);

/** A view of `length` bytes of a buffer reused for every rule's hash input (grown on demand). */
function hashInput(length: number): Buffer {
  if (scratch.length < length) scratch = Buffer.allocUnsafe(Math.max(length, scratch.length * 2));
  return scratch.subarray(0, length);
}

/** sha224 digest; crypto.hash (Node >= 20.12) skips a Hash object per rule. */
function sha224(data: Buffer): Buffer {
  return typeof crypto.hash === 'function'
    ? crypto.hash('sha224', data, 'buffer')
    : crypto.createHash('sha224').update(data).digest();
}

/** Chains an action of this chain jumps or goes to. */
export function referencedChains(chain: Chain): string[] {
  const out: string[] = [];
  for (const r of chain.rules) if (r.action.target !== undefined) out.push(r.action.target);
  return out;
}
