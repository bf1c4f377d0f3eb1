// Label inheritance as pure functions, shared by the incremental graph and the from-scratch
// computation. Label keys such as "__proto__" are valid, so every object built here has a null
// prototype and is filled by plain assignment (which then creates an own property).
import type { Labels } from '../model/types.js';

/** What a profile contributes to the labels of the endpoints that list it. */
export interface ProfileLabelSource {
  labels?: Labels;
  tags?: readonly string[];
}

/** The shared empty label set. */
export const EMPTY_LABELS: Labels = Object.freeze(Object.create(null) as Record<string, string>);

const hasOwn = (o: object, k: string): boolean => Object.prototype.hasOwnProperty.call(o, k);

function isEmpty(labels: Labels): boolean {
  for (const k in labels) if (hasOwn(labels, k)) return false;
  return true;
}

/**
 * The labels an endpoint inherits from its profiles, before its own: for each key, the first
 * profile in the list that has it as a label or as a tag (tag T reads as T=""); within one
 * profile its labels come before its tags. Missing profiles contribute nothing.
 */
export function profileLabels(
  profileIds: readonly string[],
  lookup: (profile: string) => ProfileLabelSource | undefined,
): Labels {
  let out: Record<string, string> | undefined;
  for (const id of profileIds) {
    const p = lookup(id);
    if (!p) continue;
    if (p.labels) {
      for (const k of Object.keys(p.labels)) {
        out ??= Object.create(null) as Record<string, string>;
        if (!hasOwn(out, k)) out[k] = p.labels[k]!;
      }
    }
    if (p.tags) {
      for (const t of p.tags) {
        out ??= Object.create(null) as Record<string, string>;
        if (!hasOwn(out, t)) out[t] = '';
      }
    }
  }
  return out ?? EMPTY_LABELS;
}

/**
 * An endpoint's effective labels: its own, then the inherited ones for keys it does not set.
 * Returns one of its inputs when the other adds nothing, so label objects stay shared.
 */
export function mergeLabels(own: Labels, inherited: Labels): Labels {
  if (isEmpty(inherited)) return own;
  if (isEmpty(own)) return inherited;
  // One merged object per endpoint: built as an ordinary object and then cut loose from
  // Object.prototype, as V8 keeps that in its compact form, while Object.create(null) starts
  // as a hash table of several times the size. Only a "__proto__" key needs the latter, as
  // assigning it to an ordinary object would set the prototype instead.
  const protoKey = hasOwn(own, '__proto__') || hasOwn(inherited, '__proto__');
  const out = (protoKey ? Object.create(null) : {}) as Record<string, string>;
  for (const k of Object.keys(inherited)) out[k] = inherited[k]!;
  for (const k of Object.keys(own)) out[k] = own[k]!;
  if (!protoKey) Object.setPrototypeOf(out, null);
  return out;
}

/** Same keys with the same values (own properties only). */
export function labelsEqual(a: Labels, b: Labels): boolean {
  if (a === b) return true;
  const ak = Object.keys(a);
  if (ak.length !== Object.keys(b).length) return false;
  for (const k of ak) if (!hasOwn(b, k) || b[k] !== a[k]) return false;
  return true;
}

/** Own labels then inherited ones: the whole rule in one call, for the from-scratch computation. */
export function effectiveLabels(
  own: Labels,
  profileIds: readonly string[],
  lookup: (profile: string) => ProfileLabelSource | undefined,
): Labels {
  return mergeLabels(own, profileLabels(profileIds, lookup));
}
