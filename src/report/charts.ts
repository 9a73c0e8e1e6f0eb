/**
 * The report's Vega-Lite specs, built from cell rows (which come from
 * results files). Every axis names its unit and whether the figure is
 * modeled or measured. With several runs, each chart separates them.
 */
import type { TopLevelSpec } from 'vega-lite';
import { PHASES } from '../cost/index.js';
import type { CellRow } from './rows.js';

export interface Chart {
  name: string;
  title: string;
  spec: TopLevelSpec;
}

/** The font the SVG text is measured with and the PNG is drawn with. */
export const REPORT_FONT = 'DejaVu Sans';

const CONFIG = { font: REPORT_FONT, axis: { labelLimit: 320 }, legend: { labelLimit: 320 } };
const SCHEMA = 'https://vega.github.io/schema/vega-lite/v6.json';

function base(title: string, subtitle: string | string[], values: object[]): Pick<TopLevelSpec, '$schema' | 'title' | 'data' | 'config'> {
  return { $schema: SCHEMA, title: { text: title, subtitle }, data: { values }, config: CONFIG } as Pick<TopLevelSpec, '$schema' | 'title' | 'data' | 'config'>;
}

/**
 * A horizontal bar per cell; several runs sit side by side (yOffset),
 * coloured by run. On a log axis bars have no zero to start from (they
 * collapse to nothing), so log charts draw a dot per cell instead.
 */
function barsPerCell(name: string, title: string, subtitle: string | string[], rows: object[], field: string, axis: string, multi: boolean, log = false): Chart {
  const spec = {
    ...base(title, subtitle, rows),
    width: 560,
    mark: log ? { type: 'point', filled: true, size: 90, tooltip: true } : { type: 'bar', tooltip: true },
    encoding: {
      y: { field: 'cell', type: 'nominal', title: null, sort: null },
      x: { field, type: 'quantitative', title: axis, ...(log ? { scale: { type: 'log' } } : {}) },
      ...(multi ? { color: { field: 'run', type: 'nominal', title: 'run' }, yOffset: { field: 'run' } } : {}),
    },
  } as unknown as TopLevelSpec;
  return { name, title, spec };
}

export function buildCharts(rows: CellRow[], runs: string[]): Chart[] {
  const multi = runs.length > 1;
  // An incorrect cell skipped work it needed (the naive flow): its cost is not a cost, so no cost chart shows it.
  const ran = rows.filter((r) => r.status === 'ok');
  const resets = ran.filter((r) => r.modeledPerResetMs !== null && r.modeledPerResetMs > 0);
  const charts: Chart[] = [];
  const modeled = ['MODELED: counters x cost-profile prices (virtual time, deterministic)', 'cells flagged incorrect are left out'];

  if (resets.length) {
    charts.push({
      name: 'reset-cost',
      title: 'Cost of one device reset vs guest size',
      spec: {
        ...base('Cost of one device reset vs guest size', modeled, resets),
        mark: { type: 'line', point: true, tooltip: true },
        encoding: {
          x: { field: 'guestGiB', type: 'quantitative', scale: { type: 'log' }, title: 'guest RAM (GiB, log)' },
          y: { field: 'modeledPerResetMs', type: 'quantitative', scale: { type: 'log' }, title: 'modeled ms per reset (log)' },
          color: { field: 'flow', type: 'nominal', title: 'flow' },
          ...(multi ? { strokeDash: { field: 'run', type: 'nominal', title: 'run' } } : {}),
          detail: { field: 'run' },
          column: { field: 'setup', type: 'nominal', title: 'parent' },
          row: { field: 'kernel', type: 'nominal', title: 'kernel' },
        },
        width: 220,
        height: 160,
      } as unknown as TopLevelSpec,
    });

    const phaseRows = resets.flatMap((r) => PHASES.map((phase) => ({ run: r.run, cell: r.cell, phase, ms: r.modeledPhasesMs![phase] })));
    charts.push({
      name: 'phases',
      title: 'Where one reset spends its time',
      spec: {
        ...base('Where one reset spends its time', modeled, phaseRows),
        width: 560,
        mark: { type: 'bar', tooltip: true },
        encoding: {
          y: { field: 'cell', type: 'nominal', title: null, sort: null },
          x: { field: 'ms', type: 'quantitative', stack: 'zero', title: 'modeled ms per reset' },
          color: { field: 'phase', type: 'nominal', title: 'phase', scale: { domain: [...PHASES] } },
          ...(multi ? { row: { field: 'run', type: 'nominal', title: 'run' } } : {}),
        },
      } as unknown as TopLevelSpec,
    });
  }

  const ratios = ratioRows(ran);
  if (ratios.length) {
    charts.push(barsPerCell('ratio', 'Workaround / persist', [...modeled, 'cost per reset: workaround divided by persist on the same setup'], ratios, 'ratio', 'workaround / persist, modeled (x, log)', multi, true));
  }
  const pinned = ran.filter((r) => r.modeledPagesPinnedPerReset !== null);
  if (pinned.length) charts.push(barsPerCell('pages-pinned', 'Pages pinned per reset', modeled, pinned, 'modeledPagesPinnedPerReset', 'modeled 4 KiB pages pinned per reset', multi));
  const blackout = ran.filter((r) => r.modeledBlackoutMs !== null);
  if (blackout.length) charts.push(barsPerCell('dma-blackout', 'DMA blackout per reset', [...modeled, 'time during which device 0 cannot translate all of guest RAM'], blackout, 'modeledBlackoutMs', 'modeled ms of DMA blackout per reset', multi));

  const dma = rows.filter((r) => r.measuredDmaFailedShare !== null);
  if (dma.length) {
    charts.push(barsPerCell('dma-failures', 'Failed DMA translations during resets', ['MEASURED: share of reader-thread translations of mapped guest RAM that the device view could not answer', 'depends on thread timing on the machine that ran it'], dma, 'measuredDmaFailedShare', 'measured share of failed translations', multi));
  }

  const wall = rows.flatMap((r) => r.measuredWallMs.map((ms) => ({ run: r.run, cell: r.cell, ms })));
  if (wall.length) {
    charts.push({
      name: 'wall-time',
      title: "The simulator's own wall time per reset cycle",
      spec: {
        ...base("The simulator's own wall time per reset cycle", 'MEASURED: wall clock of vdpa-lab on the machine that ran it (tinybench samples); not a kernel figure', wall),
        width: 560,
        mark: { type: 'boxplot', extent: 'min-max' },
        encoding: {
          y: { field: 'cell', type: 'nominal', title: null, sort: null },
          x: { field: 'ms', type: 'quantitative', scale: { type: 'log' }, title: 'measured wall ms per simulated reset cycle (log)' },
          ...(multi ? { color: { field: 'run', type: 'nominal', title: 'run' }, yOffset: { field: 'run' } } : {}),
        },
      } as unknown as TopLevelSpec,
    });
  }
  return charts;
}

/** workaround / persist per run and setup (the persist cell of the same setup). */
export function ratioRows(rows: CellRow[]): { run: string; cell: string; ratio: number }[] {
  const out: { run: string; cell: string; ratio: number }[] = [];
  for (const w of rows.filter((r) => r.flow === 'workaround' && r.modeledPerResetMs)) {
    const p = rows.find((r) => r.run === w.run && r.flow === 'persist' && r.setup === w.setup && r.kernel === w.kernel && r.guest === w.guest && r.modeledPerResetMs);
    if (p) out.push({ run: w.run, cell: `${w.setup} ${w.kernel} ${w.guest}`, ratio: w.modeledPerResetMs! / p.modeledPerResetMs! });
  }
  return out;
}
