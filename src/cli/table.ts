// Tables as calicoctl prints them: Go's text/tabwriter with minwidth 5,
// padding 3, padchar ' ' and no flags. Every cell but the last of a row is
// padded to its column's width; the last cell is written as it is.

export interface TableLayout {
  /** Smallest width of a padded column, padding included. */
  minWidth: number;
  /** Spaces added to the widest cell of a column. */
  padding: number;
}

export const CALICOCTL_LAYOUT: TableLayout = { minWidth: 5, padding: 3 };

/** Display width of a cell: tabwriter counts runes (code points), not bytes. */
function cellWidth(text: string): number {
  let n = 0;
  for (const _ of text) n++;
  return n;
}

/**
 * Formats rows (the heading row first) into lines, each ending in "\n".
 * Like tabwriter, a column's width is set by the consecutive rows that have a
 * cell in it followed by another cell; rows of different lengths are aligned
 * block by block exactly as tabwriter would.
 */
export function formatTable(rows: readonly (readonly string[])[], layout: TableLayout = CALICOCTL_LAYOUT): string {
  const widths = rows.map((row) => new Array<number>(Math.max(row.length - 1, 0)).fill(0));
  setColumnWidths(rows, widths, 0, 0, rows.length, layout);
  let out = '';
  rows.forEach((row, r) => {
    for (let c = 0; c < row.length; c++) {
      const cell = row[c]!;
      out += cell;
      if (c < row.length - 1) out += ' '.repeat(widths[r]![c]! - cellWidth(cell));
    }
    out += '\n';
  });
  return out;
}

/** tabwriter's column blocks: runs of consecutive rows that have a padded cell in `column`. */
function setColumnWidths(
  rows: readonly (readonly string[])[],
  widths: number[][],
  column: number,
  from: number,
  to: number,
  layout: TableLayout,
): void {
  let r = from;
  while (r < to) {
    if (rows[r]!.length - 1 <= column) {
      r++;
      continue;
    }
    const start = r;
    let width = layout.minWidth;
    while (r < to && rows[r]!.length - 1 > column) {
      width = Math.max(width, cellWidth(rows[r]![column]!) + layout.padding);
      r++;
    }
    for (let i = start; i < r; i++) widths[i]![column] = width;
    setColumnWidths(rows, widths, column + 1, start, r, layout);
  }
}
