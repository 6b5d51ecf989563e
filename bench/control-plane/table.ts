/** Plain-text tables for the bench's report. */

export type Cell = string | number;

/** Renders rows under headers; numbers right-aligned, text left-aligned. */
export function renderTable(headers: readonly string[], rows: readonly (readonly Cell[])[]): string {
  const text = rows.map((r) => r.map((c) => String(c)));
  const widths = headers.map((h, i) => Math.max(h.length, ...text.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[], numeric: readonly boolean[]): string =>
    cells
      .map((c, i) => (numeric[i] === true ? c.padStart(widths[i] ?? 0) : c.padEnd(widths[i] ?? 0)))
      .join('  ')
      .trimEnd();
  const numeric = headers.map((_, i) =>
    rows.every((r) => typeof r[i] === 'number' || /^[-\d.,×/ %]+$/.test(String(r[i] ?? ''))),
  );
  return [
    line(headers, numeric),
    widths.map((w) => '-'.repeat(w)).join('  '),
    ...text.map((r) => line(r, numeric)),
  ].join('\n');
}

/** A number with `digits` decimals (fewer for big numbers), as text. */
export function fmt(x: number, digits = 1): string {
  if (!Number.isFinite(x)) return 'n/a';
  const d = Math.abs(x) >= 1000 ? 0 : Math.abs(x) >= 100 ? Math.min(digits, 1) : digits;
  return x.toFixed(d);
}

export const MiB = 2 ** 20;
