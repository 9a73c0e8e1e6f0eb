/**
 * Number and table formatting shared by every command that prints (layer-free,
 * like errors.ts).
 */
import { markdownTable as gfmTable } from 'markdown-table';

export function fmtRate(opsPerSec: number): string {
  if (opsPerSec >= 1e9) return (opsPerSec / 1e9).toFixed(2) + ' G/s';
  if (opsPerSec >= 1e6) return (opsPerSec / 1e6).toFixed(2) + ' M/s';
  if (opsPerSec >= 1e3) return (opsPerSec / 1e3).toFixed(1) + ' K/s';
  return opsPerSec.toFixed(0) + ' /s';
}

export function fmtCount(n: number): string {
  if (n >= 1e6 && n % 1e6 === 0) return n / 1e6 + 'M';
  if (n >= 1e3 && n % 1e3 === 0) return n / 1e3 + 'K';
  return String(n);
}

/**
 * Renders rows as an aligned plain-text table: first column left, the rest
 * right, two spaces apart, a dashed rule under the header. Written here, not
 * taken from a package: README's npm-start block is this layout byte for
 * byte (the doc-test checks it), text-table (the borderless-table package)
 * has had no release since 2013, and cli-table3 and table draw borders (table
 * also loads ajv on import).
 */
export function textTable(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

/**
 * Renders rows as a GitHub-flavoured markdown table (markdown-table; the
 * first column in the default alignment, the rest right-aligned). Cells are
 * not padded to a common width: a PR comment's raw text stays short, and a
 * row reads `| a | b |` as before. markdown-table leaves a `|` inside a cell
 * as it is, which would split the cell: it is escaped first.
 */
export function markdownTable(header: string[], rows: string[][]): string {
  const esc = (c: string) => c.replace(/\|/g, '\\|');
  return gfmTable([header, ...rows].map((r) => r.map(esc)), { align: header.map((_, i) => (i === 0 ? '' : 'r')), alignDelimiters: false });
}

/** Nanoseconds as a human duration: "2.63 s", "412 ms", "35.0 us", "120 ns". */
export function fmtDuration(ns: number | null): string {
  if (ns === null || !Number.isFinite(ns)) return '-';
  const a = Math.abs(ns);
  if (a >= 1e9) return `${(ns / 1e9).toFixed(a >= 1e11 ? 0 : 2)} s`;
  if (a >= 1e6) return `${(ns / 1e6).toFixed(a >= 1e8 ? 0 : 1)} ms`;
  if (a >= 1e3) return `${(ns / 1e3).toFixed(1)} us`;
  return `${Math.round(ns)} ns`;
}

/** A ratio as "12.3x" (or "-"). */
export function fmtRatio(x: number | null): string {
  if (x === null || !Number.isFinite(x)) return '-';
  return x >= 100 ? `${x.toFixed(0)}x` : `${x.toFixed(1)}x`;
}
