/**
 * Side-by-side figures of two or more runs: cells are paired by id (a hash
 * of their parameters) or by the --match key; the first run is the
 * reference. MODELED figures. What did not pair is counted and listed,
 * never passed off as "unchanged".
 */
import type { MatchField } from './match.js';
import { keyedCells } from './match.js';
import { labelsOf, type LabelledResults } from './rows.js';

export interface DeltaRow {
  key: string;
  cell: string;
  run: string;
  referenceNs: number | null;
  otherNs: number | null;
  /** other - reference, or null when either side has no figure. */
  deltaNs: number | null;
  /** (other - reference) / reference, or null when either side has no figure. */
  change: number | null;
}

export interface Pairing {
  run: string;
  /** Cells of this run that found a counterpart in the reference. */
  matched: number;
  cells: number;
}

export interface Deltas {
  rows: DeltaRow[];
  pairings: Pairing[];
  unmatched: string[];
}

export function deltaRows(runs: LabelledResults[], match: MatchField[] | null = null): Deltas {
  const [ref, ...others] = runs;
  const labels = labelsOf(runs);
  const rows: DeltaRow[] = [];
  const unmatched: string[] = [];
  const pairings: Pairing[] = [];
  const refCells = keyedCells(ref.file.cells, match, ref.run);
  for (const o of others) {
    const mine = keyedCells(o.file.cells, match, o.run);
    let matched = 0;
    for (const [key, c] of mine) {
      const r = refCells.get(key);
      if (!r) {
        unmatched.push(`${o.run} only: ${labels.get(c.id)}`);
        continue;
      }
      matched++;
      const a = r.modeled?.perResetNs ?? null;
      const b = c.modeled?.perResetNs ?? null;
      rows.push({ key, cell: labels.get(r.id)!, run: o.run, referenceNs: a, otherNs: b, deltaNs: a !== null && b !== null ? b - a : null, change: a && b !== null ? (b - a) / a : null });
    }
    for (const [key, c] of refCells) if (!mine.has(key)) unmatched.push(`${ref.run} only (not in ${o.run}): ${labels.get(c.id)}`);
    pairings.push({ run: o.run, matched, cells: mine.size });
  }
  return { rows, pairings, unmatched };
}

/** "8 of 8 cells of B matched a cell of A" per run: said before any delta, so 0 cannot read as "no change". */
export function pairingLine(p: Pairing, reference: string): string {
  return `${p.matched} of ${p.cells} cells of ${p.run} matched a cell of ${reference}`;
}

export function fmtChange(x: number | null): string {
  if (x === null) return '-';
  if (x === 0) return '0%';
  return `${x > 0 ? '+' : ''}${(x * 100).toFixed(1)}%`;
}
