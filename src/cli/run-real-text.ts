/** `run --backend`: the real kernel's figures beside the modeled ones, one row per cell, never one number. */
import type { CellResult } from '../runner/index.js';
import type { RealProvenance } from '../runner/real-result.js';
import { fmtDuration, fmtRatio, textTable } from '../text-format.js';

export function realSummaryText(cells: CellResult[], { kernel, accel, clock }: RealProvenance): string {
  const rows = cells.map((c) => {
    const r = c.real;
    const modeled = c.modeled?.perResetNs ?? null;
    if (!r || r.status === 'n/a') return [c.label, fmtDuration(modeled), '-', '-', '-', '-', `n/a: ${r?.reason ?? ''}`];
    const cycle = r.resetCycleNs?.median ?? null;
    const perReset = r.perResetNs;
    const run = r.layout ? `${r.layout.meanRun} (${c.params.meanRun ?? '-'})` : '-';
    return [c.label, fmtDuration(modeled), fmtDuration(perReset), fmtDuration(cycle), perReset && modeled ? fmtRatio(perReset / modeled) : '-', run, r.status === 'agree' ? 'agree' : `${r.status}: ${r.reason}`];
  });
  return (
    `Real kernel: ${kernel}${accel === 'none' ? '' : `, ${accel.toUpperCase()}`}${clock === 'icount' ? ' icount' : ''} (time in the syscalls; ${clock === 'icount' ? 'guest instructions at 1 ns each, not native timings' : accel === 'tcg' ? 'TCG figures, not native timings' : 'measured'}). Modeled: counters x profile.\n` +
    textTable(['cell', 'modeled/reset', 'real/reset', 'real reset cycle (median)', 'real/modeled', 'real mean run (modeled)', 'model vs kernel'], rows)
  );
}
