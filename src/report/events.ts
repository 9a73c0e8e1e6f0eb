/**
 * What each event of a VM's life costs (boot, guest-reset, reboot,
 * migrate-svq, stop-and-copy, close), per flow: a table and a chart. The
 * figures are each cell's modeled per-event totals from results.json; an
 * event given several times (guest-reset*3) shows its mean per occurrence.
 */
import type { CellResult } from '../runner/index.js';
import { fmtDuration } from '../text-format.js';
import { BAR_WIDTH, barText, base, fitScale, flowColor, fmtMs, TICK, type Chart } from './chart-parts.js';
import { labelsOf, type LabelledResults } from './rows.js';

export interface EventRow {
  run: string;
  /** The cell's label without its flow: what the flows of one setup share. */
  group: string;
  flow: string;
  event: string;
  /** How often the event occurs in the cell's event list. */
  times: number;
  /** Mean modeled ms per occurrence; null when the cell has no figure (n/a, failed). */
  ms: number | null;
}

function perEvent(c: CellResult): Map<string, { times: number; ns: number | null }> {
  const out = new Map<string, { times: number; ns: number | null }>();
  for (const name of c.params.events) out.set(name, { times: (out.get(name)?.times ?? 0) + 1, ns: null });
  if (c.status !== 'ok' || !c.modeled) return out;
  for (const [name, e] of out) {
    const totals = c.modeled.events.filter((x) => x.name === name).map((x) => x.totalNs);
    e.ns = totals.length ? totals.reduce((a, b) => a + b, 0) / totals.length : null;
  }
  return out;
}

/** Cells flagged incorrect skipped work they needed: like the cost charts, the event view leaves them out. */
export function eventRows(runs: LabelledResults[]): EventRow[] {
  const labels = labelsOf(runs);
  return runs.flatMap(({ run, file }) =>
    file.cells
      .filter((c) => c.status !== 'incorrect')
      .flatMap((c) => {
        const group = labels.get(c.id)!.split(' ').filter((t) => t !== c.params.flow).join(' ');
        return [...perEvent(c)].map(([event, e]) => ({ run, group, flow: c.params.flow, event, times: e.times, ms: e.ns === null ? null : e.ns / 1e6 }));
      }),
  );
}

export const EVENT_HEADER = ['setup', 'event', 'times', 'workaround', 'persist', 'saved'];

/** One row per setup and event of one run: each flow's modeled cost per occurrence, and what persist saves. */
export function eventTable(rows: EventRow[], run: string): string[][] {
  const mine = rows.filter((r) => r.run === run);
  const keys = [...new Set(mine.map((r) => `${r.group}\u0000${r.event}`))];
  return keys.map((k) => {
    const [group, event] = k.split('\u0000');
    const at = (flow: string) => mine.find((r) => r.group === group && r.event === event && r.flow === flow);
    const w = at('workaround');
    const p = at('persist');
    const show = (r: EventRow | undefined) => (r === undefined ? '-' : r.ms === null ? 'n/a' : r.ms === 0 ? '0' : fmtDuration(r.ms * 1e6));
    const saved = w?.ms != null && p?.ms != null ? (w.ms === p.ms ? '0' : fmtDuration((w.ms - p.ms) * 1e6)) : p && p.ms === null ? 'n/a' : '-';
    return [group, event, String((w ?? p)?.times ?? 1), show(w), show(p), saved];
  });
}

/** Bars per event and flow, a panel per setup; zero and n/a written on the bar's place. */
export function eventsChart(rows: EventRow[], runs: string[]): Chart | null {
  const shown = rows.filter((r) => r.flow !== 'naive');
  if (!shown.some((r) => r.ms !== null)) return null;
  const multi = runs.length > 1;
  const events = [...new Set(shown.map((r) => r.event))];
  const values = shown.map((r) => ({ ...r, panel: multi ? `${r.run}: ${r.group}` : r.group, at: r.ms ?? 0, text: barText(r.ms, fmtMs) }));
  const y = { field: 'event', type: 'nominal', title: null, sort: events };
  const color = flowColor(shown.map((r) => r.flow));
  const offset = { yOffset: { field: 'flow', type: 'nominal', sort: color.sort } };
  // One x scale for every panel (#28): a reader compares setups panel to panel, so 100 ms is the same length in each.
  const x = { field: 'ms', type: 'quantitative', title: 'modeled ms per occurrence', scale: fitScale(values.map((v) => v.at), { zero: true, log: false }).scale, axis: { format: TICK.ms } };
  const title = 'What each event of a VM costs, per flow';
  return {
    name: 'events',
    title,
    spec: {
      ...base(title, ['MODELED: counters x cost-profile prices per event occurrence (mean when an event repeats)', 'cells flagged incorrect are left out; 0 = nothing to do, n/a = the flow does not apply'], values),
      facet: { row: { field: 'panel', type: 'nominal', title: null, sort: null, header: { labelAngle: 0, labelAlign: 'left', labelAnchor: 'start', labelLimit: 640, labelFontSize: 12, labelOrient: 'top' } } },
      spec: {
        width: BAR_WIDTH,
        layer: [
          { mark: { type: 'bar', tooltip: true }, encoding: { y, x, color, ...offset } },
          { mark: { type: 'text', align: 'left', dx: 4, fontSize: 10 }, encoding: { y, x: { field: 'at', type: 'quantitative' }, text: { field: 'text' }, ...offset } },
        ],
      },
      resolve: { scale: { x: 'shared' } },
    },
  };
}
