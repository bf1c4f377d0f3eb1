// Set literals are stored sorted and de-duplicated, in Go's byte order of UTF-8 strings
// (= Unicode code point order), as Calico's ConvertToStringSetInPlace does.

/** Maps a UTF-16 code unit so that comparing mapped units orders strings by code point. */
function codePointRank(unit: number): number {
  // Surrogates (D800-DFFF) encode code points above FFFF: move them after E000-FFFF.
  if (unit >= 0xe000) return unit - 0x800;
  if (unit >= 0xd800) return unit + 0x2000;
  return unit;
}

/** Orders strings by Unicode code point, as Go compares UTF-8 strings. */
export function compareCodePoints(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x !== y) return codePointRank(x) - codePointRank(y);
  }
  return a.length - b.length;
}

/** Sorted (by code point) copy of `values` without duplicates. */
export function sortedUnique(values: Iterable<string>): string[] {
  return [...new Set(values)].sort(compareCodePoints);
}
