/**
 * Modeled beside REAL (a real kernel's time in the syscalls, from `run
 * --backend`): per cell, the cost of one reset each way, their ratio, and
 * what PERSIST saves per reset as the real kernel measured it. The two kinds
 * never share a number or an axis: the chart draws them in separate panels
 * with independent scales, and every real figure names its kernel and
 * accelerator (TCG figures are not native timings).
 */
import type { CellResult } from '../runner/index.js';
import { fmtDuration, fmtRatio } from '../text-format.js';
import { BAR_WIDTH, barText, base, flowColor, fmtMs, TICK, type Chart } from './chart-parts.js';
import { labelsOf, type LabelledResults } from './rows.js';

export interface RealRow {
  run: string;
  key: string;
  cell: string;
  group: string;
  flow: string;
  modeledNs: number | null;
  realNs: number | null;
  status: string;
  reason: string | null;
  /** `6.12.117+deb12-amd64, TCG`: which kernel under what. */
  where: string;
}

export function realRows(runs: LabelledResults[]): RealRow[] {
  const labels = labelsOf(runs);
  return runs.flatMap(({ run, file }) =>
    file.cells
      .filter((c): c is CellResult & Required<Pick<CellResult, 'real'>> => c.real !== undefined)
      .map((c) => {
        const r = c.real;
        const label = labels.get(c.id)!;
        return {
          run,
          key: `${run}/${c.id}`,
          cell: label,
          group: label.split(' ').filter((t) => t !== c.params.flow).join(' '),
          flow: c.params.flow,
          modeledNs: c.modeled?.perResetNs ?? null,
          realNs: r.status === 'n/a' ? null : r.perResetNs,
          status: r.status,
          reason: r.reason,
          where: r.status === 'n/a' || !r.kernel ? '' : `${r.kernel}${r.accel !== 'none' ? `, ${r.accel.toUpperCase()}` : ''}${r.clock === 'icount' ? ' icount' : ''}`,
        };
      }),
  );
}

export const REAL_HEADER = ['cell', 'modeled/reset', 'real/reset', 'real/modeled', 'model vs kernel'];

export function realTable(rows: RealRow[], run: string): string[][] {
  return rows
    .filter((r) => r.run === run)
    .map((r) => [
      r.cell,
      fmtDuration(r.modeledNs),
      r.realNs === null ? 'n/a' : fmtDuration(r.realNs),
      r.realNs !== null && r.modeledNs ? fmtRatio(r.realNs / r.modeledNs) : '-',
      r.status === 'agree' ? 'agree' : `${r.status}${r.reason ? `: ${r.reason}` : ''}`,
    ]);
}

/** PERSIST's saving per reset, real and modeled, per setup that ran both flows on the real kernel. */
export function realSavings(rows: RealRow[], run: string): string[][] {
  const mine = rows.filter((r) => r.run === run && r.realNs !== null);
  const groups = [...new Set(mine.map((r) => r.group))];
  return groups.flatMap((g) => {
    const w = mine.find((r) => r.group === g && r.flow === 'workaround');
    const p = mine.find((r) => r.group === g && r.flow === 'persist');
    if (!w || !p) return [];
    const modeled = w.modeledNs !== null && p.modeledNs !== null ? `${fmtDuration(w.modeledNs - p.modeledNs)} (${fmtRatio(w.modeledNs / p.modeledNs)})` : '-';
    return [[g, `${fmtDuration(w.realNs! - p.realNs!)} (${fmtRatio(w.realNs! / p.realNs!)})`, modeled, w.where]];
  });
}

export const SAVINGS_HEADER = ['setup', 'real saving/reset (ratio)', 'modeled saving/reset (ratio)', 'real kernel'];

/** Per reset, modeled and real in two panels with their own axes; n/a written where a cell had no real run. */
export function realChart(rows: RealRow[]): Chart | null {
  if (!rows.some((r) => r.realNs !== null)) return null;
  const where = [...new Set(rows.map((r) => r.where).filter((w) => w))].join('; ');
  const values = rows.flatMap((r) => [
    { ...r, kind: 'MODELED (counters x profile)', ms: r.modeledNs === null ? null : r.modeledNs / 1e6 },
    { ...r, kind: `REAL (${where})`, ms: r.realNs === null ? null : r.realNs / 1e6 },
  ]).map((v) => ({ ...v, at: v.ms ?? 0, text: barText(v.ms, fmtMs) }));
  const keys = [...new Set(rows.map((r) => r.key))];
  const labels = JSON.stringify(Object.fromEntries(rows.map((r) => [r.key, r.cell]))).replace(/\\/g, '\\\\');
  const y = { field: 'key', type: 'nominal', title: null, sort: keys, axis: { labelExpr: `${labels}[datum.value]` } };
  const title = 'One reset on the model and on a real kernel';
  return {
    name: 'real-vs-modeled',
    title,
    spec: {
      ...base(title, ['MODELED and REAL never share an axis: each panel has its own scale', `REAL: time in the real kernel's syscalls, ${where}${/TCG/.test(where) ? ' (TCG figures, not native timings)' : ''}`], values),
      facet: { column: { field: 'kind', type: 'nominal', title: null, sort: null, header: { labelFontSize: 12, labelLimit: 640 } } },
      spec: {
        width: BAR_WIDTH / 2,
        layer: [
          { mark: { type: 'bar', tooltip: true }, encoding: { y, x: { field: 'ms', type: 'quantitative', title: 'ms per reset', axis: { format: TICK.ms } }, color: flowColor(rows.map((r) => r.flow)) } },
          { mark: { type: 'text', align: 'left', dx: 4, fontSize: 10 }, encoding: { y, x: { field: 'at', type: 'quantitative' }, text: { field: 'text' } } },
        ],
      },
      resolve: { scale: { x: 'independent' } },
    },
  };
}
