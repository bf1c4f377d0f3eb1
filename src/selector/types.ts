import type { Labels } from '../model/types.js';

/** What a selector requires of one label key, for indexing (as Calico's LabelRestriction). */
export interface LabelRestriction {
  /** Every match has this key. */
  mustBePresent: boolean;
  /** Every match has one of these values (undefined: unrestricted). */
  mustHaveOneOfValues?: ReadonlySet<string>;
}

export interface Selector {
  /** Evaluates against labels; allocates nothing per call. */
  matches(labels: Labels): boolean;
  /** Canonical text, e.g. `(a == "b" && has(c))`. */
  toString(): string;
  /** "s:" + unpadded base64url(sha224("s:" + canonical)). */
  uniqueId(): string;
  /** Restrictions implied by the whole selector, keyed by label key. */
  labelRestrictions(): ReadonlyMap<string, LabelRestriction>;
}
