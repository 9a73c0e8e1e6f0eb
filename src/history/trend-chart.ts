/**
 * Trend charts: one SVG per cell, a panel per figure, each panel with its own
 * y axis, modeled panels first, then simulator, then real (never one axis
 * for two kinds). x is the commit, in date order; change points are drawn
 * as red rings, and simulator and real series get a colour per machine.
 */
import type { Series } from './trend.js';

type Spec = Record<string, unknown>;

/** Panel size (px): a trend reads left to right, so wider than tall. */
const PANEL = { width: 520, height: 140 };

const CHANGE_COLOUR = '#d62728';

/** Nanoseconds are charted in ms (a reset costs ms to s); pages pinned are counts. */
function unit(figure: string): { scale: number; title: string } {
  return figure.endsWith('Ns') ? { scale: 1e-6, title: 'ms' } : { scale: 1, title: 'pages' };
}

function panel(s: Series[]): Spec {
  const first = s[0];
  const u = unit(first.figure);
  const values = s.flatMap((x) => x.points.map((p) => ({ commit: p.commit.slice(0, 10), date: p.date, value: p.value * u.scale, on: x.on || 'modeled', changePoint: p.changePoint, step: p.step === null ? 'first or from zero' : `${p.step >= 0 ? '+' : ''}${(p.step * 100).toFixed(1)}%` })));
  const x = { field: 'commit', type: 'ordinal', sort: { field: 'date', op: 'min' }, title: 'commit (by date)', axis: { labelAngle: -40 } };
  const y = { field: 'value', type: 'quantitative', title: u.title, scale: { zero: false }, axis: { format: ',.4~g' } };
  const color = first.kind === 'modeled' ? { value: '#1f77b4' } : { field: 'on', type: 'nominal', title: 'machine', legend: { orient: 'bottom', direction: 'vertical', labelLimit: 600 } };
  const rule = first.kind === 'modeled' ? (first.threshold === 0 ? 'any change' : `a step > ${(first.threshold * 100).toFixed(2)}%`) : `a step >= ${(first.threshold * 100).toFixed(0)}%`;
  return {
    title: { text: `${first.kind}: ${first.figure}`, subtitle: `change point (red ring): ${rule} against the median of up to 5 earlier points`, anchor: 'start', fontSize: 12 },
    width: PANEL.width,
    height: PANEL.height,
    data: { values },
    layer: [
      { mark: { type: 'line', point: true }, encoding: { x, y, color, tooltip: [{ field: 'commit' }, { field: 'date' }, { field: 'value', format: ',.6~g' }, { field: 'step' }] } },
      { transform: [{ filter: 'datum.changePoint' }], mark: { type: 'point', size: 160, strokeWidth: 2.5, color: CHANGE_COLOUR }, encoding: { x, y } },
    ],
  };
}

/** One cell's chart: its series grouped by kind and figure, a panel each. */
export function cellTrendChart(series: Series[], title: string): Spec {
  const panels = new Map<string, Series[]>();
  for (const s of series) {
    const key = `${s.kind}\0${s.figure}`;
    panels.set(key, [...(panels.get(key) ?? []), s]);
  }
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: { text: title, anchor: 'start' },
    config: { font: 'DejaVu Sans' },
    vconcat: [...panels.values()].map(panel),
    resolve: { scale: { y: 'independent', x: 'independent', color: 'independent' } },
  };
}
