/**
 * The report's Vega-Lite specs, built from cell rows (which come from
 * results files). Every axis names its unit and whether the figure is
 * modeled or simulator (the lab's own wall clock). With several runs, each chart separates them, the
 * reference first.
 */
import { PHASES } from '../cost/index.js';
import { BAR_WIDTH, barsPerCell, base, fitScale, flowColor, fmtMs, keyAxis, OTHER_COLORS, runColor, runOffset, symmetricScale, TICK, type Chart } from './chart-parts.js';
import type { CellRow } from './rows.js';
import { fmtChange, pairingLine, type Deltas } from './deltas.js';

export { REPORT_FONT, type Chart } from './chart-parts.js';

const MODELED = ['MODELED: counters x cost-profile prices (virtual time, deterministic)', 'cells flagged incorrect are left out'];
const fmtCount = (n: number) => Math.round(n).toLocaleString('en-US');

function resetCost(resets: CellRow[], runs: string[]): Chart {
  const multi = runs.length > 1;
  const values = resets.map((r) => ({ ...r, series: `${r.run} ${r.series}` }));
  // Axes fit the data: 4 and 16 GiB guests on a linear axis ticked at those sizes, not a log axis from 1 to 100 GiB.
  const gib = fitScale(values.map((v) => v.guestGiB), { zero: false, log: true });
  const ms = fitScale(values.map((v) => v.modeledPerResetMs!), { zero: true, log: true });
  const sizes = [...new Set(values.map((v) => v.guestGiB))].sort((a, b) => a - b);
  // The colour is the flow's own; other varying parameters (profile=...) get a dash pattern unless runs take it.
  const dash = multi ? null : values.some((v) => v.extras) ? { strokeDash: { field: 'extras', type: 'nominal', title: 'parameters' } } : {};
  return {
    name: 'reset-cost',
    title: 'Cost of one device reset vs guest size',
    spec: {
      ...base('Cost of one device reset vs guest size', MODELED, values),
      mark: { type: 'line', point: true, tooltip: true },
      encoding: {
        x: { field: 'guestGiB', type: 'quantitative', scale: gib.scale, axis: { format: TICK.gib, ...(sizes.length <= 12 ? { values: sizes } : {}) }, title: `guest RAM (GiB${gib.log ? ', log' : ''})` },
        y: { field: 'modeledPerResetMs', type: 'quantitative', scale: ms.scale, axis: { format: TICK.ms }, title: `modeled ms per reset${ms.log ? ' (log)' : ''}` },
        color: flowColor(values.map((v) => v.flow)),
        ...(dash ?? { strokeDash: { field: 'run', type: 'nominal', title: 'run', sort: runs, scale: { domain: runs } }, shape: { field: 'run', type: 'nominal', title: 'run', sort: runs, scale: { domain: runs } } }),
        detail: { field: 'series' },
        tooltip: [{ field: 'cell' }, { field: 'run' }, { field: 'modeledPerResetMs', title: 'ms per reset' }],
        column: { field: 'setup', type: 'nominal', title: 'parent' },
        row: { field: 'kernel', type: 'nominal', title: 'kernel, QEMU' },
      },
      // Panels are compared with each other: one x and one y scale for all of them.
      resolve: { scale: { x: 'shared', y: 'shared' } },
      width: 300,
      height: 220,
    },
  };
}

function phases(resets: CellRow[], runs: string[]): Chart {
  const multi = runs.length > 1;
  const phaseRows = resets.flatMap((r) => PHASES.map((phase) => ({ run: r.run, key: r.key, cell: r.cell, phase, ms: r.modeledPhasesMs![phase] })));
  const totals = resets.map((r) => ({ run: r.run, key: r.key, cell: r.cell, total: r.modeledPerResetMs!, text: fmtMs(r.modeledPerResetMs!) }));
  const y = keyAxis(resets);
  const offset = multi ? { yOffset: runOffset(runs) } : {};
  const x = { field: 'ms', type: 'quantitative', stack: 'zero', title: 'modeled ms per reset', scale: fitScale(totals.map((t) => t.total), { zero: true, log: false }).scale, axis: { format: TICK.ms } };
  return {
    name: 'phases',
    title: 'Where one reset spends its time',
    spec: {
      ...base('Where one reset spends its time', [...MODELED, ...(multi ? ['runs side by side per cell, the reference on top'] : [])], []),
      width: BAR_WIDTH,
      layer: [
        {
          data: { values: phaseRows },
          mark: { type: 'bar', tooltip: true, ...(multi ? { stroke: 'white', strokeWidth: 0.5 } : {}) },
          encoding: { y, x, color: { field: 'phase', type: 'nominal', title: 'phase', scale: { domain: [...PHASES], range: OTHER_COLORS.slice(0, PHASES.length) } }, ...offset },
        },
        { data: { values: totals }, mark: { type: 'text', align: 'left', dx: 4, fontSize: 10 }, encoding: { y, x: { field: 'total', type: 'quantitative' }, text: { field: 'text' }, ...offset } },
      ],
    },
  };
}

export function buildCharts(rows: CellRow[], runs: string[]): Chart[] {
  // An incorrect cell skipped work it needed (the naive flow): its cost is not a cost, so no cost chart shows it.
  const ran = rows.filter((r) => r.status === 'ok');
  const shown = rows.filter((r) => r.status === 'ok' || r.status === 'n/a');
  const resets = ran.filter((r) => r.modeledPerResetMs !== null && r.modeledPerResetMs > 0);
  const charts: Chart[] = [];
  if (resets.length) charts.push(resetCost(resets, runs), phases(resets, runs));

  const ratios = ratioRows(ran);
  if (ratios.length) {
    charts.push(barsPerCell('ratio', 'Workaround / persist', [...MODELED, 'cost per reset: workaround divided by persist on the same setup'], ratios, { title: 'workaround / persist, modeled (x)', format: TICK.ratio, logIfDecades: true }, runs, (v) => `${v >= 100 ? v.toFixed(0) : v.toFixed(1)}x`));
  }
  const pinned = shown.filter((r) => r.status === 'n/a' || r.modeledPagesPinnedPerReset !== null);
  if (pinned.some((r) => r.modeledPagesPinnedPerReset !== null)) {
    charts.push(barsPerCell('pages-pinned', 'Pages pinned per reset', ['MODELED: 4 KiB pages the kernel model pinned per reset (a count from the model, not priced time)', 'cells flagged incorrect are left out; 0 = the flow pins nothing on a reset'], pinned.map((r) => ({ run: r.run, key: r.key, cell: r.cell, value: r.modeledPagesPinnedPerReset })), { title: 'modeled 4 KiB pages pinned per reset', format: TICK.count }, runs, fmtCount));
  }
  const blackout = shown.filter((r) => r.status === 'n/a' || r.modeledBlackoutMs !== null);
  if (blackout.some((r) => r.modeledBlackoutMs !== null)) {
    charts.push(barsPerCell('dma-blackout', 'DMA blackout per reset', [...MODELED, 'time during which device 0 cannot translate all of guest RAM; 0 = never blind'], blackout.map((r) => ({ run: r.run, key: r.key, cell: r.cell, value: r.modeledBlackoutMs })), { title: 'modeled ms of DMA blackout per reset', format: TICK.ms }, runs, fmtMs));
  }
  const dma = rows.filter((r) => r.simulatorDmaFailedShare !== null);
  if (dma.length) {
    charts.push(barsPerCell('dma-failures', 'Failed DMA translations during resets', ['SIMULATOR: share of reader-thread translations of mapped guest RAM that the device view could not answer', 'depends on thread timing on the machine that ran it; 0 = none failed'], dma.map((r) => ({ run: r.run, key: r.key, cell: r.cell, value: r.simulatorDmaFailedShare })), { title: 'simulator: share of failed translations', format: TICK.percent }, runs, (v) => `${(v * 100).toFixed(1)}%`));
  }
  const wall = rows.flatMap((r) => r.simulatorWallMs.map((ms) => ({ run: r.run, key: r.key, cell: r.cell, ms })));
  if (wall.length) charts.push(wallTime(wall, runs));
  return charts;
}

function wallTime(wall: { run: string; key: string; cell: string; ms: number }[], runs: string[]): Chart {
  const multi = runs.length > 1;
  const { scale, log } = fitScale(wall.map((w) => w.ms), { zero: true, log: true });
  return {
    name: 'wall-time',
    title: "The simulator's own wall time per reset cycle",
    spec: {
      ...base("The simulator's own wall time per reset cycle", 'SIMULATOR: wall clock of vdpa-lab on the machine that ran it (tinybench samples); not a kernel figure', wall),
      width: BAR_WIDTH,
      mark: { type: 'boxplot', extent: 'min-max' },
      encoding: {
        y: keyAxis(wall),
        x: { field: 'ms', type: 'quantitative', scale, axis: { format: TICK.ms }, title: `simulator wall ms per simulated reset cycle${log ? ' (log)' : ''}` },
        ...(multi ? { color: runColor(runs), yOffset: runOffset(runs) } : {}),
      },
    },
  };
}

/** workaround / persist per run and setup (the persist cell of the same setup, every other parameter equal). */
export function ratioRows(rows: CellRow[]): { run: string; key: string; cell: string; value: number }[] {
  const out: { run: string; key: string; cell: string; value: number }[] = [];
  for (const w of rows.filter((r) => r.flow === 'workaround' && r.modeledPerResetMs)) {
    const p = rows.find((r) => r.run === w.run && r.flow === 'persist' && r.group === w.group && r.modeledPerResetMs);
    if (p) out.push({ run: w.run, key: `${w.key} / ${p.key}`, cell: w.group, value: w.modeledPerResetMs! / p.modeledPerResetMs! });
  }
  return out;
}

/** Current vs reference per paired cell, in % (the bar) and absolute (its text). */
export function deltaChart(d: Deltas, runs: string[]): Chart | null {
  const values = d.rows.map((r) => ({
    run: r.run,
    key: r.key,
    cell: r.cell,
    value: r.change === null ? null : r.change * 100,
    text: r.change === null ? 'n/a' : r.deltaNs === 0 ? '0 (no change)' : `${fmtChange(r.change)} (${r.deltaNs! > 0 ? '+' : ''}${fmtMs(r.deltaNs! / 1e6)})`,
  }));
  if (values.length === 0) return null;
  const others = runs.slice(1);
  const multi = others.length > 1;
  const y = keyAxis(values);
  const offset = multi ? { yOffset: runOffset(others) } : {};
  const title = `Change against ${runs[0]}`;
  return {
    name: 'delta',
    title,
    spec: {
      ...base(title, ['MODELED: cost per reset of each paired cell, (run - reference) / reference; text: the change in % and absolute', d.pairings.map((p) => pairingLine(p, runs[0])).join('; ')], values.map((v) => ({ ...v, at: v.value ?? 0 }))),
      width: BAR_WIDTH,
      layer: [
        { mark: { type: 'bar', tooltip: true }, encoding: { y, x: { field: 'value', type: 'quantitative', title: `modeled cost per reset, % change against ${runs[0]}`, scale: symmetricScale(values.map((v) => v.value ?? 0)), axis: { format: TICK.ms } }, color: { ...runColor(runs, others), legend: { orient: 'bottom' } }, ...offset } },
        { mark: { type: 'text', align: 'left', dx: 4, fontSize: 10 }, encoding: { y, x: { field: 'at', type: 'quantitative' }, text: { field: 'text' }, ...offset } },
        { mark: { type: 'rule', color: '#555' }, encoding: { x: { datum: 0 } } },
      ],
    },
  };
}
