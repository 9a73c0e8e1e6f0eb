/**
 * Flat rows for charts, derived only from results files: one per cell and
 * run. Modeled figures in ms (ns / 1e6) and measured samples in ms are kept
 * in separately named fields so a chart cannot mix them by accident.
 */
import { PHASES, type Phase } from '../cost/index.js';
import type { ResultsFile } from '../runner/index.js';
import { formatBytes, setupLabel } from '../workload/index.js';

export interface LabelledResults {
  /** Short name for this run in charts and tables. */
  run: string;
  path: string;
  file: ResultsFile;
}

export interface CellRow {
  run: string;
  id: string;
  cell: string;
  setup: string;
  parent: string;
  kernel: string;
  flow: string;
  guestGiB: number;
  guest: string;
  status: string;
  modeledPerResetMs: number | null;
  modeledBlackoutMs: number | null;
  modeledPagesPinnedPerReset: number | null;
  modeledPhasesMs: Record<Phase, number> | null;
  measuredWallMs: number[];
  /** Share of DMA reader translations that failed during the timed reset cycles, or null. */
  measuredDmaFailedShare: number | null;
}

const ms = (ns: number | null | undefined) => (ns === null || ns === undefined ? null : ns / 1e6);

export function cellRows(runs: LabelledResults[]): CellRow[] {
  return runs.flatMap(({ run, file }) =>
    file.cells.map((c) => {
      const p = c.params;
      const setup = setupLabel(p);
      const guest = `${formatBytes(p.guestBytes)} ${p.backing}`;
      const phases = c.modeled?.perResetPhases;
      return {
        run,
        id: c.id,
        cell: `${setup} ${p.kernel} ${p.flow} ${guest}`,
        setup,
        parent: p.parent,
        kernel: p.kernel,
        flow: p.flow,
        guestGiB: p.guestBytes / 2 ** 30,
        guest,
        status: c.status,
        modeledPerResetMs: ms(c.modeled?.perResetNs),
        modeledBlackoutMs: ms(c.modeled?.perResetBlackoutNs),
        modeledPagesPinnedPerReset: c.modeled?.perResetPagesPinned ?? null,
        modeledPhasesMs: phases ? (Object.fromEntries(PHASES.map((k) => [k, phases[k] / 1e6])) as Record<Phase, number>) : null,
        measuredWallMs: c.measured?.wallNs?.samples.map((s) => s / 1e6) ?? [],
        measuredDmaFailedShare: c.measured?.dma?.translations ? c.measured.dma.failures / c.measured.dma.translations : null,
      };
    }),
  );
}
