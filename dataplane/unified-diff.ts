// A small unified-diff writer. Lines are compared by a key (for rules: their
// hash), not by text, because iptables re-renders rules in its own words; the
// text shown for an unchanged line is the old (kernel) side's.

export interface DiffLine {
  key: string;
  text: string;
}

type Op = { kind: ' ' | '-' | '+'; text: string };

/** Longest common subsequence of keys, as edit operations. */
function editScript(a: readonly DiffLine[], b: readonly DiffLine[]): Op[] {
  let start = 0;
  while (start < a.length && start < b.length && a[start]!.key === b[start]!.key) start++;
  let endA = a.length, endB = b.length;
  while (endA > start && endB > start && a[endA - 1]!.key === b[endB - 1]!.key) { endA--; endB--; }
  const ops: Op[] = a.slice(0, start).map((l) => ({ kind: ' ', text: l.text }));
  const midA = a.slice(start, endA), midB = b.slice(start, endB);
  const n = midA.length, m = midB.length;
  if (n * m <= 4_000_000) {
    // lcs[i][j] = LCS length of midA[i..] and midB[j..]
    const lcs = Array.from({ length: n + 1 }, () => new Uint32Array(m + 1));
    for (let i = n - 1; i >= 0; i--) {
      for (let j = m - 1; j >= 0; j--) {
        lcs[i]![j] = midA[i]!.key === midB[j]!.key ? lcs[i + 1]![j + 1]! + 1 : Math.max(lcs[i + 1]![j]!, lcs[i]![j + 1]!);
      }
    }
    let i = 0, j = 0;
    while (i < n || j < m) {
      if (i < n && j < m && midA[i]!.key === midB[j]!.key) { ops.push({ kind: ' ', text: midA[i]!.text }); i++; j++; }
      else if (j >= m || (i < n && lcs[i + 1]![j]! >= lcs[i]![j + 1]!)) { ops.push({ kind: '-', text: midA[i]!.text }); i++; }
      else { ops.push({ kind: '+', text: midB[j]!.text }); j++; }
    }
  } else {
    for (const l of midA) ops.push({ kind: '-', text: l.text });
    for (const l of midB) ops.push({ kind: '+', text: l.text });
  }
  for (const l of a.slice(endA)) ops.push({ kind: ' ', text: l.text });
  return ops;
}

const range = (start: number, len: number): string => `${len === 0 ? start : start + 1},${len}`;

/** A unified diff of `a` (labelled `oldLabel`) against `b`, or '' when their keys are equal. */
export function unifiedDiff(
  oldLabel: string,
  newLabel: string,
  a: readonly DiffLine[],
  b: readonly DiffLine[],
  context = 3,
): string {
  const ops = editScript(a, b);
  if (ops.every((o) => o.kind === ' ')) return '';
  const out = [`--- ${oldLabel}`, `+++ ${newLabel}`];
  // Positions of each op in the old and new texts.
  const posA: number[] = [], posB: number[] = [];
  let pa = 0, pb = 0;
  for (const o of ops) {
    posA.push(pa); posB.push(pb);
    if (o.kind !== '+') pa++;
    if (o.kind !== '-') pb++;
  }
  let i = 0;
  while (i < ops.length) {
    if (ops[i]!.kind === ' ') { i++; continue; }
    // A hunk: from `context` lines before the first change to `context` after the
    // last change that is not separated from the next by more than 2*context.
    const first = Math.max(0, i - context);
    let last = i;
    let j = i;
    while (j < ops.length) {
      if (ops[j]!.kind !== ' ') { last = j; j++; continue; }
      let k = j;
      while (k < ops.length && ops[k]!.kind === ' ') k++;
      if (k < ops.length && k - j <= 2 * context) { j = k; continue; }
      break;
    }
    const end = Math.min(ops.length, last + 1 + context);
    const hunk = ops.slice(first, end);
    const lenA = hunk.filter((o) => o.kind !== '+').length;
    const lenB = hunk.filter((o) => o.kind !== '-').length;
    out.push(`@@ -${range(posA[first]!, lenA)} +${range(posB[first]!, lenB)} @@`);
    for (const o of hunk) out.push(`${o.kind}${o.text}`);
    i = end;
  }
  return out.join('\n') + '\n';
}
