/**
 * Flat rows for charts, derived only from results files: one per cell and
 * run. Modeled figures in ms (ns / 1e6) and simulator samples in ms are kept
 * in separately named fields so a chart cannot mix them by accident.
 *
 * Charts key cells by `key` (the cell id, or the `--match` key), never by
 * label; `cell` is the label a reader sees, with every parameter that varies
 * among the charted cells.
 */
import { PHASES, type Phase } from '../cost/index.js';
import type { CellResult, ResultsFile } from '../runner/index.js';
import { distinctLabels } from '../runner/summary.js';
import { formatBytes, setupLabel } from '../workload/index.js';
import { matchKeyOf, type MatchField } from './match.js';

export interface LabelledResults {
  /** Short name for this run in charts and tables. */
  run: string;
  path: string;
  file: ResultsFile;
}

export interface CellRow {
  run: string;
  id: string;
  /** What charts group and pair by: the id, or the values of the --match fields. */
  key: string;
  /** The label readers see (distinct among the charted cells). */
  cell: string;
  /** The cell's label without its flow: what workaround and persist of one setup share. */
  group: string;
  /** The varying parameters the cell's own label leaves out ("profile=mlx5-2024"), or ''. */
  extras: string;
  /** The label without the guest size: one line of a cost-vs-size chart. */
  series: string;
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
  simulatorWallMs: number[];
  /** Share of DMA reader translations that failed during the timed reset cycles, or null. */
  simulatorDmaFailedShare: number | null;
}

const ms = (ns: number | null | undefined) => (ns === null || ns === undefined ? null : ns / 1e6);

/** Labels made distinct over the cells of every run (a cell id names the same parameters in each). */
export function labelsOf(runs: LabelledResults[]): Map<string, string> {
  const byId = new Map<string, CellResult>();
  for (const r of runs) for (const c of r.file.cells) if (!byId.has(c.id)) byId.set(c.id, c);
  return distinctLabels([...byId.values()]);
}

export function cellRows(runs: LabelledResults[], match: MatchField[] | null = null): CellRow[] {
  const labels = labelsOf(runs);
  return runs.flatMap(({ run, file }) =>
    file.cells.map((c) => {
      const p = c.params;
      const setup = setupLabel(p);
      const guest = `${formatBytes(p.guestBytes)} ${p.backing}`;
      const phases = c.modeled?.perResetPhases;
      const cell = labels.get(c.id)!;
      const size = `${formatBytes(p.guestBytes)}${p.dimms.length ? `+${p.dimms.length}dimm` : ''}`;
      return {
        run,
        id: c.id,
        key: matchKeyOf(c, match),
        cell,
        group: cell.split(' ').filter((t) => t !== p.flow).join(' '),
        extras: cell.slice(c.label.length).trim(),
        series: cell.split(' ').filter((t) => t !== size).join(' '),
        setup,
        parent: p.parent,
        // The chart rows (facets) are per kernel and QEMU release: both shape the message stream.
        kernel: `${p.kernel} qemu-${p.qemu}`,
        flow: p.flow,
        guestGiB: p.guestBytes / 2 ** 30,
        guest,
        status: c.status,
        modeledPerResetMs: ms(c.modeled?.perResetNs),
        modeledBlackoutMs: ms(c.modeled?.perResetBlackoutNs),
        modeledPagesPinnedPerReset: c.modeled?.perResetPagesPinned ?? null,
        modeledPhasesMs: phases ? (Object.fromEntries(PHASES.map((k) => [k, phases[k] / 1e6])) as Record<Phase, number>) : null,
        simulatorWallMs: c.simulator?.wallNs?.samples.map((s) => s / 1e6) ?? [],
        simulatorDmaFailedShare: c.simulator?.dma?.translations ? c.simulator.dma.failures / c.simulator.dma.translations : null,
      };
    }),
  );
}
