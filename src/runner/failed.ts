import type { CellSpec } from '../workload/index.js';
import type { CellResult } from './cell-result.js';

/** The result of a cell that did not finish. */
export function failedResult(cell: CellSpec, profileHash: string, reason: string): CellResult {
  return { id: cell.id, label: cell.label, params: cell.params, status: 'failed', reason, counters: {}, modeled: null, simulator: null, invariants: null, profileHash };
}
