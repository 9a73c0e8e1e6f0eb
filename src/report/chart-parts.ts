/**
 * The pieces every report chart is made of: the common header, an axis of
 * cells keyed by id (labels looked up, so two cells never merge because
 * their labels agree), runs in the order given (the reference first), and
 * bars that carry their value as text, with zero and n/a written out.
 */
import { fmtDuration } from '../text-format.js';

/**
 * A Vega-Lite spec as the charts build it: plain JSON from the small helpers
 * below. vega-lite's own types are too fine-grained for spread-built layers,
 * so its compile (render.ts) is where a spec is checked.
 */
export type VegaLiteJson = Record<string, unknown>;

export interface Chart {
  name: string;
  title: string;
  spec: VegaLiteJson;
}

/** The font the SVG text is measured with and the PNG is drawn with. */
export const REPORT_FONT = 'DejaVu Sans';

const CONFIG = { font: REPORT_FONT, axis: { labelLimit: 640 }, legend: { labelLimit: 640 } };
const SCHEMA = 'https://vega.github.io/schema/vega-lite/v6.json';
export const BAR_WIDTH = 560;

export function base(title: string, subtitle: string | string[], values: object[]): Record<string, unknown> {
  return { $schema: SCHEMA, title: { text: title, subtitle }, data: { values }, config: CONFIG };
}

/** A y axis over cell keys, in first-seen order, each tick showing the cell's label. */
export function keyAxis(rows: { key: string; cell: string }[]): Record<string, unknown> {
  const labels = new Map<string, string>();
  for (const r of rows) if (!labels.has(r.key)) labels.set(r.key, r.cell);
  const lookup = JSON.stringify(Object.fromEntries(labels)).replace(/\\/g, '\\\\');
  return { field: 'key', type: 'nominal', title: null, sort: [...labels.keys()], axis: { labelExpr: `${lookup}[datum.value]` } };
}

/**
 * One colour per flow in every chart (tableau10's orange, blue and red):
 * vega's default palette assigns colours by the order values appear, so
 * persist was blue in one chart and orange in the next (#28).
 */
export const FLOW_COLORS: Readonly<Record<string, string>> = { workaround: '#f58518', persist: '#4c78a8', naive: '#e45756' };
const FLOWS = Object.keys(FLOW_COLORS);

/** Colour by flow: the flows present (legend order workaround, persist, naive), each with its own colour. */
export function flowColor(flows: Iterable<string>): Record<string, unknown> {
  const present = new Set(flows);
  const domain = [...FLOWS.filter((f) => present.has(f)), ...[...present].filter((f) => !FLOWS.includes(f)).sort()];
  return { field: 'flow', type: 'nominal', title: 'flow', sort: domain, scale: { domain, range: domain.map((f, i) => FLOW_COLORS[f] ?? OTHER_COLORS[i % OTHER_COLORS.length]) } };
}

/** Colours no flow uses (the rest of tableau10), for runs and phases: neither is ever read as a flow. */
export const OTHER_COLORS = ['#54a24b', '#b279a2', '#72b7b2', '#eeca3b', '#9d755d', '#bab0ac', '#ff9da6'];

/** Colour per run with the reference first (a nominal scale would sort the names); `shown` keeps each run's colour when some are left out. */
export function runColor(runs: string[], shown = runs): Record<string, unknown> {
  const range = shown.map((r) => OTHER_COLORS[runs.indexOf(r) % OTHER_COLORS.length]);
  return { field: 'run', type: 'nominal', title: 'run', scale: { domain: shown, range }, legend: { orient: 'bottom', direction: 'vertical' } };
}

/**
 * Tick formats (d3-format specs): vega's default format follows the tick
 * step, so a zero-width domain printed `0.000000`. Three significant digits
 * in plain notation for times and ratios, SI prefixes for counts.
 */
export const TICK = { ms: ',.3~r', ratio: ',~r', count: '.3~s', percent: '.1~%', gib: ',~r' } as const;

/** Pixels between a point chart's outermost points and its axes. */
const POINT_PADDING_PX = 16;

/** A log axis only when the data span this ratio (two decades): 4 and 16 GiB read better on a linear one. */
export const LOG_FROM_RATIO = 100;

/** Does a positive series span enough decades for a log axis? */
export function spansDecades(values: number[]): boolean {
  const pos = values.filter((v) => v > 0);
  return pos.length > 0 && Math.max(...pos) / Math.min(...pos) >= LOG_FROM_RATIO;
}

/**
 * A quantitative scale fitted to the data: where `log` allows it and the
 * data span decades, a log scale from the decade below the smallest value to
 * the one above the largest; otherwise linear from zero (bars) or around the
 * data (points).
 */
export function fitScale(values: number[], opts: { zero: boolean; log: boolean }): { scale: Record<string, unknown>; log: boolean } {
  const pos = values.filter((v) => Number.isFinite(v) && v > 0);
  if (opts.log && spansDecades(pos)) {
    return { log: true, scale: { type: 'log', domain: [10 ** Math.floor(Math.log10(Math.min(...pos))), 10 ** Math.ceil(Math.log10(Math.max(...pos)))], nice: false } };
  }
  const max = pos.length ? Math.max(...pos) : 0;
  if (opts.zero || pos.length === 0) return { log: false, scale: { type: 'linear', domain: [0, max > 0 ? max : 1], nice: true } };
  const min = Math.min(...pos);
  // Points at the domain's ends would sit on the axes: `padding` (pixels) keeps them clear of it.
  return { log: false, scale: { type: 'linear', domain: min === max ? [0, 2 * max] : [min, max], nice: false, zero: false, padding: POINT_PADDING_PX } };
}

/** A domain centred on zero, for changes: all-zero changes get [-1, 1], not a zero-width axis. */
export function symmetricScale(values: number[]): Record<string, unknown> {
  const m = Math.max(0, ...values.filter(Number.isFinite).map(Math.abs));
  return { type: 'linear', domain: m > 0 ? [-m, m] : [-1, 1], nice: true };
}

export function runOffset(runs: string[]): Record<string, unknown> {
  return { field: 'run', type: 'nominal', sort: runs, scale: { domain: runs } };
}

export interface BarDatum {
  run: string;
  key: string;
  cell: string;
  /** null: drawn as the text "n/a" at zero, no bar. */
  value: number | null;
}

/** Value text: "0" for a true zero, "n/a" for no figure, else `fmt`. */
export function barText(value: number | null, fmt: (v: number) => string): string {
  if (value === null) return 'n/a';
  return value === 0 ? '0' : fmt(value);
}

/** How barsPerCell draws its axis: the tick format, and whether data spanning decades may get a log axis. */
export interface BarAxis {
  title: string;
  format: string;
  logIfDecades?: boolean;
}

/**
 * A horizontal bar per cell with its value written at the end; several runs
 * sit side by side (yOffset), coloured by run, the reference first. On a log
 * axis bars have no zero to start from, so log charts draw a dot per cell.
 */
export function barsPerCell(name: string, title: string, subtitle: string | string[], data: BarDatum[], axis: BarAxis, runs: string[], fmt: (v: number) => string): Chart {
  const multi = runs.length > 1;
  const values = data.map((d) => ({ ...d, at: d.value ?? 0, text: barText(d.value, fmt) }));
  const y = keyAxis(data);
  const byRun = multi ? { color: runColor(runs), yOffset: runOffset(runs) } : {};
  const { scale, log } = fitScale(values.map((v) => v.at), { zero: true, log: Boolean(axis.logIfDecades) });
  const x = { field: 'value', type: 'quantitative', title: log ? `${axis.title} (log)` : axis.title, scale, axis: { format: axis.format } };
  const spec = {
    ...base(title, subtitle, log ? values.filter((v) => v.value !== null && v.value > 0) : values),
    width: BAR_WIDTH,
    layer: [
      { mark: log ? { type: 'point', filled: true, size: 90, tooltip: true } : { type: 'bar', tooltip: true }, encoding: { y, x, ...byRun } },
      { mark: { type: 'text', align: 'left', dx: 4, fontSize: 10, color: '#333' }, encoding: { y, x: { field: log ? 'value' : 'at', type: 'quantitative' }, text: { field: 'text' }, ...(multi ? { yOffset: runOffset(runs) } : {}) } },
    ],
  };
  return { name, title, spec };
}

/** Milliseconds as the text on a bar: "5.80 s", "210 ms", "58.3 us". */
export const fmtMs = (ms: number): string => fmtDuration(ms * 1e6);
