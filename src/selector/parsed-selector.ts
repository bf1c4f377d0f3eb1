// A parsed selector: the node tree plus its cached canonical text and unique id.
import * as crypto from 'node:crypto';
import type { Labels } from '../model/types.js';
import type { SelectorNode } from './ast.js';
import type { LabelRestriction, Selector } from './types.js';

/** Calico's hash.MakeUniqueID("s", canonical): "s:" + unpadded base64url(sha224("s:" + canonical)). */
export function selectorUniqueId(canonical: string): string {
  const text = 's:' + canonical;
  // crypto.hash (Node >= 20.12) skips the Hash object: thousands of selectors hash at start-up.
  const digest = typeof crypto.hash === 'function'
    ? crypto.hash('sha224', text, 'base64url')
    : crypto.createHash('sha224').update(text, 'utf8').digest('base64url');
  return 's:' + digest;
}

export class ParsedSelector implements Selector {
  private canonical: string | undefined;
  private id: string | undefined;

  constructor(private readonly root: SelectorNode) {}

  matches(labels: Labels): boolean {
    return this.root.matches(labels);
  }

  toString(): string {
    if (this.canonical === undefined) {
      const out: string[] = [];
      this.root.print(out);
      this.canonical = out.join('');
    }
    return this.canonical;
  }

  uniqueId(): string {
    this.id ??= selectorUniqueId(this.toString());
    return this.id;
  }

  /** A fresh map each call, so callers sharing a cached selector cannot affect each other. */
  labelRestrictions(): ReadonlyMap<string, LabelRestriction> {
    const out = new Map<string, LabelRestriction>();
    for (const [key, r] of this.root.restrictions()) {
      if (!r.present) continue;
      out.set(key, r.values === undefined ? { mustBePresent: true } : { mustBePresent: true, mustHaveOneOfValues: r.values });
    }
    return out;
  }
}
