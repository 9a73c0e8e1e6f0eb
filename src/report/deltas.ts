/**
 * Side-by-side figures of two or more runs: cells are matched by id (a hash
 * of their parameters), the first run is the reference. MODELED figures.
 */
import type { LabelledResults } from './rows.js';

export interface DeltaRow {
  cell: string;
  run: string;
  referenceNs: number | null;
  otherNs: number | null;
  /** (other - reference) / reference, or null when either side has no figure. */
  change: number | null;
}

export function deltaRows(runs: LabelledResults[]): { rows: DeltaRow[]; unmatched: string[] } {
  const [ref, ...others] = runs;
  const rows: DeltaRow[] = [];
  const unmatched: string[] = [];
  const refCells = new Map(ref.file.cells.map((c) => [c.id, c]));
  for (const o of others) {
    for (const c of o.file.cells) {
      const r = refCells.get(c.id);
      if (!r) {
        unmatched.push(`${o.run}: ${c.label}`);
        continue;
      }
      const a = r.modeled?.perResetNs ?? null;
      const b = c.modeled?.perResetNs ?? null;
      rows.push({ cell: c.label, run: o.run, referenceNs: a, otherNs: b, change: a && b !== null ? (b - a) / a : null });
    }
    const ids = new Set(o.file.cells.map((c) => c.id));
    for (const c of ref.file.cells) if (!ids.has(c.id)) unmatched.push(`${ref.run} only: ${c.label}`);
  }
  return { rows, unmatched };
}

export function fmtChange(x: number | null): string {
  if (x === null) return '-';
  if (x === 0) return '0%';
  return `${x > 0 ? '+' : ''}${(x * 100).toFixed(1)}%`;
}
