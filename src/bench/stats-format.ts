/** Number formatting shared by the benchmark tables. */
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

/** Renders rows as an aligned plain-text table. */
export function textTable(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}
