// Tables as calicoctl v0 printed them: Python's prettytable with its default
// style (a `+---+` frame, `|` between columns, one space of padding, every cell
// centred the way str.center does), rows sorted by the first column.

/** Display width of a cell: one per code point (names here are ASCII). */
function width(text: string): number {
  let n = 0;
  for (const _ of text) n++;
  return n;
}

/**
 * prettytable's centring: equal space on both sides; an odd leftover goes to
 * the right of odd-length text and to the left of even-length text.
 */
function centre(text: string, columnWidth: number): string {
  const excess = columnWidth - width(text);
  const half = Math.floor(excess / 2);
  if (excess % 2 === 0) return ' '.repeat(half) + text + ' '.repeat(half);
  return width(text) % 2 === 1
    ? ' '.repeat(half) + text + ' '.repeat(half + 1)
    : ' '.repeat(half + 1) + text + ' '.repeat(half);
}

/** Compares rows cell by cell by code point, as Python sorts lists of str. */
function compareRows(a: readonly string[], b: readonly string[]): number {
  for (let i = 0; i < Math.min(a.length, b.length); i++) {
    if (a[i] !== b[i]) return a[i]! < b[i]! ? -1 : 1;
  }
  return a.length - b.length;
}

/**
 * The text of `print table.get_string(sortby=<first heading>)`, ending in a
 * newline. An empty table still prints its frame and headings.
 */
export function formatPrettyTable(headings: readonly string[], rows: readonly (readonly string[])[]): string {
  for (const row of rows) {
    if (row.length !== headings.length) throw new Error(`table row has ${row.length} cells, expected ${headings.length}`);
  }
  const sorted = [...rows].sort(compareRows);
  const widths = headings.map((h, c) => Math.max(width(h), ...sorted.map((row) => width(row[c]!))));
  const rule = `+${widths.map((w) => '-'.repeat(w + 2)).join('+')}+`;
  const line = (cells: readonly string[]): string => `|${cells.map((cell, c) => ` ${centre(cell, widths[c]!)} `).join('|')}|`;
  return [rule, line(headings), rule, ...sorted.map(line), rule].map((l) => `${l}\n`).join('');
}
