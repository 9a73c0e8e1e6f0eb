/**
 * The recordings' chart, from the results files alone: per reset, three
 * panels side by side with their own axes, each named by its kind. The
 * inner guest's downtime and the trace's vhost-vdpa time are real (nested
 * TCG), the replay's reset is modeled: they never share an axis, and no bar
 * adds one kind to another.
 */
import { BAR_WIDTH, base, FLOW_COLORS, fmtMs, OTHER_COLORS, TICK, type Chart } from '../chart-parts.js';
import type { RecordingRow } from './rows.js';

export const PANELS = {
  guest: "REAL (nested TCG): the inner guest's clock",
  trace: "REAL (nested TCG): QEMU's trace timestamps",
  modeled: 'MODELED (default profile): the replay of the same trace',
} as const;

const MEASURES = [
  { id: 'link', panel: PANELS.guest, name: 'reset -> link up', colour: OTHER_COLORS[0] },
  { id: 'tx', panel: PANELS.guest, name: 'reset -> first TX completed', colour: OTHER_COLORS[1] },
  { id: 'stop', panel: PANELS.trace, name: 'device stop: vhost-vdpa messages', colour: OTHER_COLORS[2] },
  { id: 'start', panel: PANELS.trace, name: 'device start: vhost-vdpa messages', colour: OTHER_COLORS[3] },
  { id: 'workaround', panel: PANELS.modeled, name: 'reset as traced (unmap, reset, map)', colour: FLOW_COLORS.workaround },
  { id: 'persist', panel: PANELS.modeled, name: 'reset with IOTLB_PERSIST', colour: FLOW_COLORS.persist },
] as const;

type MeasureId = (typeof MEASURES)[number]['id'];

export interface ChartDatum {
  recording: string;
  key: string;
  label: string;
  panel: string;
  measure: string;
  /** 1 or 2: the figure's place in its panel's pair. */
  slot: number;
  ms: number | null;
  at: number;
  text: string;
}

/** What a missing figure means, per measure: a TX never completed is a finding, a missing replay is not. */
function missing(id: MeasureId): string {
  if (id === 'tx') return 'never seen';
  if (id === 'link') return 'link never up';
  return 'n/a';
}

export function chartData(rows: RecordingRow[]): ChartDatum[] {
  return rows.flatMap((r) =>
    r.resets.flatMap((x) => {
      const value: Record<MeasureId, number | null> = {
        link: x.real.linkUpMs,
        tx: x.real.firstTxMs,
        stop: x.real.traceStopSpanMs,
        start: x.real.traceStartSpanMs,
        workaround: x.modeled?.workaroundNs == null ? null : x.modeled.workaroundNs / 1e6,
        persist: x.modeled?.persistNs == null ? null : x.modeled.persistNs / 1e6,
      };
      return MEASURES.map((m, i) => {
        const ms = value[m.id];
        return { recording: r.label, key: `${r.label}/${x.reset}`, label: `${r.label}, reset ${x.reset}`, panel: m.panel, measure: m.name, slot: (i % 2) + 1, ms, at: ms ?? 0, text: ms === null ? missing(m.id) : ms === 0 ? '0' : fmtMs(ms) };
      });
    }),
  );
}

export function downtimeChart(rows: RecordingRow[]): Chart | null {
  const values = chartData(rows);
  if (!values.some((v) => v.ms !== null)) return null;
  const keys = [...new Set(values.map((v) => v.key))];
  const labels = JSON.stringify(Object.fromEntries(values.map((v) => [v.key, v.label]))).replace(/\\/g, '\\\\');
  const y = { field: 'key', type: 'nominal', title: null, sort: keys, axis: { labelExpr: `${labels}[datum.value]` } };
  const measures = MEASURES.map((m) => m.name);
  // Each panel shows two figures: they take slot 1 and 2 of a reset's band, so no panel keeps empty slots for another's.
  const yOffset = { field: 'slot', type: 'ordinal', sort: [1, 2], scale: { domain: [1, 2] } };
  const title = 'Guest-visible downtime per reset, beside the trace and the model';
  return {
    name: 'qemu-downtime',
    title,
    spec: {
      ...base(title, [
        'REAL (nested TCG): the inner guest under TCG inside a TCG VM; its clock and the trace are real, but TCG timings (order and comparison within the lab only)',
        "MODELED: the lab's kernel model replaying the same trace (counters x default cost profile). Each panel has its own axis: no kind is read on another's scale",
      ], values),
      facet: { column: { field: 'panel', type: 'nominal', title: null, sort: Object.values(PANELS), header: { labelFontSize: 12, labelLimit: 640 } } },
      spec: {
        width: BAR_WIDTH / 2,
        layer: [
          {
            mark: { type: 'bar', tooltip: true },
            encoding: {
              y,
              yOffset,
              x: { field: 'ms', type: 'quantitative', title: 'ms', axis: { format: TICK.ms } },
              color: { field: 'measure', type: 'nominal', title: 'figure', sort: measures, scale: { domain: measures, range: MEASURES.map((m) => m.colour) }, legend: { orient: 'bottom', columns: 2 } },
            },
          },
          { mark: { type: 'text', align: 'left', dx: 4, fontSize: 10 }, encoding: { y, yOffset, x: { field: 'at', type: 'quantitative' }, text: { field: 'text' } } },
        ],
      },
      resolve: { scale: { x: 'independent' } },
    },
  };
}
