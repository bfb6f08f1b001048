// Plain text tables for the terminal, as `du`, `pip list` and `hf cache scan` print them:
// a header row, columns padded to their widest cell, numbers aligned right.

/** One column: its heading, and whether its cells line up on the right (sizes, counts). */
export interface Column {
  readonly heading: string;
  readonly right?: boolean;
}

/** The rows under their headings, each line starting with `indent`; trailing spaces trimmed. */
export function renderTable(columns: readonly Column[], rows: readonly (readonly string[])[], indent = ''): string {
  const widths = columns.map((column, i) => Math.max(column.heading.length, ...rows.map((row) => (row[i] ?? '').length)));
  const render = (cells: readonly string[]): string =>
    indent + columns.map((column, i) => {
      const cell = cells[i] ?? '';
      return column.right ? cell.padStart(widths[i]!) : cell.padEnd(widths[i]!);
    }).join('  ').trimEnd() + '\n';
  return render(columns.map((c) => c.heading)) + rows.map(render).join('');
}
