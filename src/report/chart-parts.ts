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

/** Colour per run with the reference first (a nominal scale would sort the names). */
export function runColor(runs: string[]): Record<string, unknown> {
  return { field: 'run', type: 'nominal', title: 'run', scale: { domain: runs }, legend: { orient: 'bottom', direction: 'vertical' } };
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

/**
 * A horizontal bar per cell with its value written at the end; several runs
 * sit side by side (yOffset), coloured by run, the reference first. On a log
 * axis bars have no zero to start from, so log charts draw a dot per cell.
 */
export function barsPerCell(name: string, title: string, subtitle: string | string[], data: BarDatum[], axisTitle: string, runs: string[], fmt: (v: number) => string, log = false): Chart {
  const multi = runs.length > 1;
  const values = data.map((d) => ({ ...d, at: d.value ?? 0, text: barText(d.value, fmt) }));
  const y = keyAxis(data);
  const byRun = multi ? { color: runColor(runs), yOffset: runOffset(runs) } : {};
  const x = { field: 'value', type: 'quantitative', title: axisTitle, ...(log ? { scale: { type: 'log' } } : {}) };
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
